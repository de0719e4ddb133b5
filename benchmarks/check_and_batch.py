"""Benchmark: a student's ``grader.check`` per question, and bulk grading throughput.

``--check``: runs the solution notebook in the student bundle (as a student would, with the
public tests beside it), then times ``grader.check(q)`` for every question in that kernel:
wall seconds per call, the slowest reported.

``--batch N``: grades N copies of the solution with ``poolside grade`` at ``--jobs 1`` and
``--jobs 2`` (warm compile cache, warmed once before either) and reports submissions per
minute and the speed-up of two workers over one; with ``--dask``, the same again on a local
Dask cluster of one and two workers (``--scheduler local``), side by side.

    .venv/bin/python benchmarks/check_and_batch.py --check --batch 4 --dask
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"

TIMING_CELL = """
import json as _json, time as _time
_times = {}
# The public tests live in the notebook's metadata (Otter Assign, tests: files: false).
_tests = _json.load(open("hierarchical.ipynb"))["metadata"]["otter"]["tests"]
for _q in sorted(_tests):
    _start = _time.perf_counter()
    _result = grader.check(_q)
    _times[_q] = [_time.perf_counter() - _start, _result.passed_all_public]
print("TIMES" + _json.dumps(_times))
"""


def check_times() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "student"
        shutil.copytree(DIST / "student", work)
        nb = nbformat.read(DIST / "solution" / "hierarchical.ipynb", as_version=4)
        nb.cells = [c for c in nb.cells if "grader.export" not in c.source]
        nb.cells.append(nbformat.v4.new_code_cell(TIMING_CELL))
        NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(work)}}).execute()
        for output in nb.cells[-1].outputs:
            text = output.get("text", "")
            if "TIMES" in text:
                return json.loads(text.split("TIMES", 1)[1])
    raise RuntimeError("the timing cell printed nothing")


def batch(n: int, dask: bool = False) -> dict[tuple, float]:
    from poolside import grade

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "in").mkdir()
        for i in range(n):
            shutil.copy(DIST / "solution" / "hierarchical.ipynb", tmp / "in" / f"s{i}.ipynb")
        # Warmed before either batch, so neither pays for the first compile.
        grade.warm_cache(grade.default_cache(), print,
                         grade.unpack(DIST / "autograder.zip", tmp / "files"),
                         grade.cache_stamp(DIST / "autograder.zip"))
        rates = {}
        for scheduler in (None, "local") if dask else (None,):
            for jobs in (1, 2):
                start = time.perf_counter()
                table = grade.main([tmp / "in"], tmp / f"out{jobs}-{scheduler}",
                                   DIST / "autograder.zip", jobs=jobs, echo=lambda text: None,
                                   scheduler=scheduler)
                seconds = time.perf_counter() - start
                assert (table["status"] == "graded").all(), table
                rates[scheduler, jobs] = n / seconds * 60
                print(f"{scheduler or 'pool'} jobs {jobs}: {n} submissions in {seconds:.1f} s, "
                      f"{rates[scheduler, jobs]:.2f} per minute, "
                      f"{seconds / n:.1f} s each", flush=True)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--batch", type=int, default=0)
    parser.add_argument("--dask", action="store_true", help="also on a local Dask cluster")
    args = parser.parse_args()
    if args.check:
        times = check_times()
        for q, (t, passed) in times.items():
            print(f"grader.check({q!r}): {1000 * t:.0f} ms, {'passed' if passed else 'FAILED'}")
        print(f"slowest grader.check: {1000 * max(t for t, _ in times.values()):.0f} ms")
    if args.batch:
        rates = batch(args.batch, args.dask)
        for scheduler in (None, "local") if args.dask else (None,):
            print(f"{scheduler or 'pool'}: two workers {rates[scheduler, 2] / rates[scheduler, 1]:.2f}x "
                  "the throughput of one")


if __name__ == "__main__":
    main()
