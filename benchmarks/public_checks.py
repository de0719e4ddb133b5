"""How long a student waits for ``grader.check``: the built student bundle, with the solution in
its notebook, run in a real Jupyter kernel; each check cell timed inside the kernel (CPU and
wall seconds), medians over ``--runs`` fresh kernels.

    .venv/bin/poolside build && .venv/bin/python benchmarks/public_checks.py --runs 3

The target is under 0.5 s per question: the public checks never sample (a model is compared
by its log-density at fixed values).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TIMED = ("import time as _t\n_c, _w = _t.process_time(), _t.perf_counter()\n_r = {check}\n"
         "print('TIMED', _t.process_time() - _c, _t.perf_counter() - _w)\n_r")


def _notebook(dist: Path) -> nbformat.NotebookNode:
    """The solution's cells with the student notebook's (public) tests: a finished student
    notebook."""
    solved = json.loads((dist / "examples" / "correct.ipynb").read_text(encoding="utf-8"))
    student = json.loads((dist / "student" / "hierarchical.ipynb").read_text(encoding="utf-8"))
    solved["metadata"]["otter"]["tests"] = student["metadata"]["otter"]["tests"]
    nb = nbformat.reads(json.dumps(solved), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.strip().startswith("grader.check("):
            cell.source = TIMED.format(check=cell.source.strip())
        if "export_submission" in cell.source:
            cell.source = ""
    return nb


def run_once(dist: Path) -> dict[str, tuple[float, float]]:
    folder = Path(tempfile.mkdtemp(prefix="public-checks-"))
    try:
        shutil.copytree(dist / "student", folder, dirs_exist_ok=True)
        nb = _notebook(dist)
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
        times = {}
        for cell in nb.cells:
            if "TIMED" not in cell.source:
                continue
            question = cell.source.split('grader.check("')[1].split('"')[0]
            text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
            line = next(line for line in text.splitlines() if line.startswith("TIMED"))
            cpu, wall = map(float, line.split()[1:])
            passed = "All test cases passed" in json.dumps(cell.outputs)
            times[question] = (cpu, wall, passed)
        return times
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    runs = [run_once(args.dist) for _ in range(args.runs)]
    print(f"grader.check per question, medians over {args.runs} kernels (seconds)")
    print(f"{'question':10s} {'cpu':>6s} {'wall':>6s}  passed")
    for question in runs[0]:
        cpu = statistics.median(r[question][0] for r in runs)
        wall = statistics.median(r[question][1] for r in runs)
        passed = all(r[question][2] for r in runs)
        print(f"{question:10s} {cpu:6.2f} {wall:6.2f}  {passed}")


if __name__ == "__main__":
    main()
