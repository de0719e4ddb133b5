"""Benchmark: grading a notebook against running the notebook's own code as a plain script.

The plain run is what the student's work costs with nothing around it: the notebook's code
cells joined into one Python script (no Jupyter, no Otter, no public checks, no export cell),
run with ``python`` in a folder holding the student bundle's files. The grading run is the zip's
runner on the same notebook (:mod:`benchmarks.grade_one`'s measure: sandbox, executor, kernel,
grader). Both run on one core (``taskset -c 0``) with the same warm compile cache, interleaved,
and report CPU seconds of every process, peak PSS of every process together, and the ratios
grading / plain (issue 20 asks for at most 1.15 for memory and 1.5 for CPU).

    .venv/bin/poolside build --no-check
    .venv/bin/python benchmarks/script_vs_grading.py --runs 5 [--notebook NB] \
        [--python GRADING_VENV/bin/python] [--also old=../old-checkout/dist]

``--python`` is the interpreter of both runs (default: this project's ``.venv``, which has the
instructor's extras, Dask among them; a venv of ``assignment/requirements.txt`` is what
Gradescope runs). ``--also NAME=DIST`` grades with another build's zip too (an older commit's
``dist``), interleaved in the same runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
import grade_one  # noqa: E402  (a sibling script)

from poolside.grade import GRADING_ENV  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def script_of(notebook: Path) -> str:
    """The notebook's code as one script: what grading runs, without what only Jupyter or the
    student's own checking needs (Otter's set-up cell, ``grader.check`` cells, the export)."""
    nb = json.loads(notebook.read_text())
    kept = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        tags = cell.get("metadata", {}).get("tags", [])
        if "otter_ignore" in tags or "import otter" in source or \
                source.strip().startswith("grader.check("):
            continue
        # Line magics (``%matplotlib inline``) are Jupyter's: a plain script has no use for them.
        kept.append("\n".join(line for line in source.splitlines()
                               if not line.lstrip().startswith("%")))
    return "import matplotlib\nmatplotlib.use('Agg')\n" + "\n\n".join(kept) + "\n"


def measure_script(python: str, folder: Path, cache: Path) -> dict[str, float]:
    env = {**os.environ, **GRADING_ENV, **grade_one.cache_environment(python, cache),
           "TMPDIR": str(folder)}  # PyTensor's compiled sources stay with the script
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = psutil.Popen(["taskset", "-c", "0", python, "notebook.py"], cwd=folder, env=env,
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_pss = peak_rss = 0
    while proc.poll() is None:
        try:
            info = proc.memory_full_info()
            peak_pss, peak_rss = max(peak_pss, info.pss), max(peak_rss, info.rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
        time.sleep(0.1)
    err = proc.stderr.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"the plain script failed:\n{err[-2000:]}")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"cpu_s": cpu, "wall_s": wall, "peak_pss_mb": peak_pss / 2**20,
            "peak_rss_mb": peak_rss / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--python", default=str(ROOT / ".venv/bin/python"))
    parser.add_argument("--notebook", type=Path, default=None,
                        help="the notebook to compare (default: the built solution)")
    parser.add_argument("--also", action="append", default=[], metavar="NAME=DIST",
                        help="grade with another build's autograder.zip too (repeatable)")
    args = parser.parse_args()
    python, dist = str(Path(args.python).absolute()), args.dist.resolve()
    notebook = (args.notebook or dist / "solution" / "hierarchical.ipynb").resolve()
    scratch = Path(tempfile.mkdtemp(prefix="poolside-script-"))
    try:
        folder = scratch / "plain"
        shutil.copytree(dist / "student", folder)
        (folder / "notebook.py").write_text(script_of(notebook))
        builds = {"grading": dist}
        builds.update({f"grading ({name})": Path(d).resolve()
                       for name, _, d in (a.partition("=") for a in args.also)})
        folders = {}
        for label, build in builds.items():
            folders[label] = scratch / f"graded-{len(folders)}"
            (folders[label] / "solution").mkdir(parents=True)
            shutil.copy(build / "autograder.zip", folders[label] / "autograder.zip")
            shutil.copy(notebook, folders[label] / "solution" / "hierarchical.ipynb")
        cache = scratch / "cache"
        grade_one.warm(python, dist, cache)
        rows: dict[str, list[dict]] = {"plain script": [], **{label: [] for label in builds}}
        for run in range(args.runs):
            plain = measure_script(python, folder, cache)
            rows["plain script"].append(plain)
            line = (f"run {run + 1}: plain cpu {plain['cpu_s']:5.1f} s, PSS "
                    f"{plain['peak_pss_mb']:4.0f} MB")
            for label in builds:
                graded_run = grade_one.measure(python, folders[label], cache)
                rows[label].append(graded_run)
                parts = ", ".join(f"{k} {v:.0f}" for k, v in
                                  sorted(graded_run["at_peak"].items(), key=lambda kv: -kv[1]))
                cpu_parts = ", ".join(f"{k} {v:.1f}" for k, v in sorted(
                    graded_run["cpu_by_role"].items(), key=lambda kv: -kv[1]) if v >= 0.05)
                line += (f" | {label} cpu {graded_run['cpu_s']:5.1f} s ({cpu_parts}), PSS "
                         f"{graded_run['peak_pss_mb']:4.0f} MB ({parts}), score "
                         f"{graded_run['score']:g}")
            print(line, flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    med = {name: {k: statistics.median(r[k] for r in runs) for k in
                  ("cpu_s", "wall_s", "peak_pss_mb", "peak_rss_mb")}
           for name, runs in rows.items()}
    plain = med["plain script"]
    print(f"\nmedians of {args.runs} runs, one core, warm compile cache "
          "(ratio: to the plain script):")
    print(f"{'':>20} {'CPU s':>7} {'wall s':>7} {'PSS MB':>7} {'RSS MB':>7} "
          f"{'CPU ratio':>9} {'PSS ratio':>9}")
    for name, m in med.items():
        print(f"{name:>20} {m['cpu_s']:7.1f} {m['wall_s']:7.1f} {m['peak_pss_mb']:7.0f} "
              f"{m['peak_rss_mb']:7.0f} {m['cpu_s'] / plain['cpu_s']:9.2f} "
              f"{m['peak_pss_mb'] / plain['peak_pss_mb']:9.2f}")


if __name__ == "__main__":
    main()
