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

What to compile is the assignment's business: its ``warm`` hook (``[hooks]`` in
``poolside.toml``) compiles what grading a correct submission compiles.

Command: ``python -m poolside.grading.cache warm CACHE_DIR [--assignment DIR]``. The grader
keeps this cache to itself; each submission's sandbox gets a copy
(:mod:`poolside.grading.runner`), so nothing a student's code writes reaches the next grading.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .assignment import Assignment, load

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


def warm(assignment: Assignment) -> bool:
    """Run the assignment's ``warm`` hook (it compiles what grading a correct submission
    compiles); False when the assignment has none.

    Must run in a process whose environment already holds :func:`environment` (PyTensor reads
    its flags at import).
    """
    hook = assignment.hook("warm")
    if hook is None:
        return False
    hook()
    return True


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m poolside.grading.cache")
    parser.add_argument("command", choices=["warm"])
    parser.add_argument("root", type=Path)
    parser.add_argument("--assignment", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    if any(os.environ.get(k) != v for k, v in environment(args.root).items()):
        # PyTensor reads its flags at import: run again with them set
        os.execvpe(sys.executable, [sys.executable, "-m", "poolside.grading.cache", *argv],
                   {**os.environ, **environment(args.root)})
    before = count(args.root)
    if not warm(load(args.assignment)):
        print("this assignment has no warm hook: nothing to compile ahead")
        return 0
    print(f"compile cache {args.root}: {count(args.root) - before} new entries, "
          f"{count(args.root)} in all")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
