"""The compile cache grading relies on: where it lives, how it is warmed, how a miss shows.

PyTensor 3 compiles every model function with Numba and keeps the machine code on disk, keyed by
the graph's structure and constants (not by variable names). Sampling a model costs a few CPU
seconds; compiling it costs several times that. So the Gradescope image compiles the reference
models once when it is built (``setup.sh``), ``poolside grade`` does the same once per batch,
and every grading process points at that cache. A student model that differs in structure
misses the cache and is compiled as usual: a miss costs time, never a grade.

Two settings make the cache usable where it was not made:

* ``NUMBA_CPU_NAME=generic``: Numba keys machine code by the CPU model, and Gradescope may
  grade on a different CPU than the one that built the image. Generic code runs anywhere.
* ``cxx=`` (no C compiler): every function, the checks' own included, goes through the
  cached Numba backend instead of invoking g++ at grading time.

Command: ``python -m autograder.cache warm CACHE_DIR [DATA]``. The grader keeps this cache
to itself; each submission's sandbox gets a copy (``autograder/runner.py``), so nothing a
student's code writes reaches the next grading.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["environment", "warm", "count"]


def environment(root: str | Path) -> dict[str, str]:
    """Environment variables that point PyTensor and Numba at the cache under ``root``."""
    root = Path(root)
    return {
        "PYTENSOR_FLAGS": f"base_compiledir={root / 'pytensor'},cxx=",
        "NUMBA_CACHE_DIR": str(root / "numba"),
        "NUMBA_CPU_NAME": "generic",
    }


def count(root: str | Path) -> int:
    """Compiled entries in the cache (Numba's ``.nbc`` files)."""
    return sum(1 for _ in Path(root).rglob("*.nbc"))


def warm(data: str | Path) -> None:
    """Compile everything grading compiles for a correct submission.

    Must run in a process whose environment already holds :func:`environment` (PyTensor reads
    its flags at import). For each accepted parameterisation of each reference model: sample
    it briefly with the sampler students use and describe it as the probe does (what the
    student's side compiles, in its copy of this cache), then compute the reference terms and
    check provenance (what the grader compiles).
    """
    import logging

    import pymc as pm

    from solutions.models import SAMPLING, candidates

    from . import fit_check, model_check
    from .context import load_spotify
    from .sandboxed import describe

    logging.getLogger("pymc").setLevel(logging.ERROR)
    spotify, artist_means = load_spotify(data)
    artists = [str(a) for a in artist_means["artist"]]
    for kind in ("complete_pooled", "no_pooled", "hierarchical"):
        builds = candidates(kind, spotify)
        points = model_check.test_points([build(None) for build in builds], artists)
        for build in builds:  # every accepted parameterisation
            reference = build(None)
            idata = pm.sample(model=reference.model, draws=20, tune=20, chains=1, cores=1,
                              random_seed=0, nuts_sampler=SAMPLING["nuts_sampler"],
                              progressbar=False, compute_convergence_checks=False)
            describe.model(reference.model, points, artists)
            model_check.reference_terms(reference, points)
            fit_check.check_provenance(idata, reference.model, kind)


def _main(argv: list[str]) -> int:
    command, root = argv[0], Path(argv[1])
    if command != "warm":
        raise SystemExit(f"unknown command {command!r}: use warm")
    if any(os.environ.get(k) != v for k, v in environment(root).items()):
        # PyTensor reads its flags at import: run again with them set
        os.execvpe(sys.executable, [sys.executable, "-m", "autograder.cache", *argv],
                   {**os.environ, **environment(root)})
    data = argv[2] if len(argv) > 2 else Path(__file__).resolve().parent.parent / "spotify.csv"
    before = count(root)
    warm(data)
    print(f"compile cache {root}: {count(root) - before} new entries, {count(root)} in all")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
