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

Commands (``python -m autograder.cache COMMAND CACHE_DIR``): ``warm [DATA]`` compiles;
``mark`` before grading and ``report`` after it say whether grading compiled anything (a miss).
Both need only the standard library, so the zip's ``run_autograder`` can run this file as a
script.
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
    its flags at import). Samples each reference model briefly with the sampler students use,
    then runs the model and provenance checks on it, which compiles the checks' functions.
    """
    import logging

    import pymc as pm

    from solutions.models import SAMPLING, candidates

    from . import fit_check, model_check
    from .questions import load_spotify

    logging.getLogger("pymc").setLevel(logging.ERROR)
    spotify, artist_means = load_spotify(data)
    artists = [str(a) for a in artist_means["artist"]]
    popularity = spotify["popularity"].to_numpy()
    for kind in ("complete_pooled", "no_pooled", "hierarchical"):
        builds = candidates(kind, spotify)
        for build in builds:  # every accepted parameterisation
            reference = build(None)
            idata = pm.sample(model=reference.model, draws=20, tune=20, chains=1, cores=1,
                              random_seed=0, nuts_sampler=SAMPLING["nuts_sampler"],
                              progressbar=False, compute_convergence_checks=False)
            model_check.check_model(reference.model, builds, popularity, artists, kind)
            fit_check.check_provenance(idata, reference.model, kind)


def _main(argv: list[str]) -> int:
    command, root = argv[0], Path(argv[1])
    mark = root / ".entries-before-grading"
    if command == "mark":  # before grading
        root.mkdir(parents=True, exist_ok=True)
        mark.write_text(str(count(root)))
    elif command == "report":  # after grading: say whether the submission missed the cache
        new = count(root) - int(mark.read_text()) if mark.exists() else None
        if new is None:
            print(f"compile cache {root}: not marked before grading")
        elif new:
            print(f"compile cache {root}: MISS, {new} functions compiled while grading (a model "
                  "unlike the references, or a cache made on another stack); time only")
        else:
            print(f"compile cache {root}: hit, nothing compiled while grading")
    elif command == "warm":
        if any(os.environ.get(k) != v for k, v in environment(root).items()):
            # PyTensor reads its flags at import: run again with them set
            os.execvpe(sys.executable, [sys.executable, "-m", "autograder.cache", *argv],
                       {**os.environ, **environment(root)})
        data = argv[2] if len(argv) > 2 else Path(__file__).resolve().parent.parent / "spotify.csv"
        before = count(root)
        warm(data)
        print(f"compile cache {root}: {count(root) - before} new entries, {count(root)} in all")
    else:
        raise SystemExit(f"unknown command {command!r}: use warm, mark or report")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
