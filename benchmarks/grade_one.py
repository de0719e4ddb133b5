"""Benchmark: grade one full submission with ``otter run`` and measure what Gradescope would.

Reports, over several runs, the median wall time, CPU time (all processes: otter, the notebook
kernel, compilers; from getrusage of reaped children) and the peak memory of all processes
together, sampled every 0.1 s as the sum of proportional set sizes (PSS: shared pages divided
among the processes sharing them, close to what a container's memory limit counts).
Gradescope's default container has 0.5 vCPU, so its wall time is roughly twice the CPU time.

    .venv/bin/python benchmarks/grade_one.py [--runs 3] [--notebook dist/solution/hierarchical.ipynb]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import os
import resource

import psutil

from poolside.grade import GRADING_ENV

ROOT = Path(__file__).resolve().parents[1]


def measure(notebook: Path, autograder: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as out:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = psutil.Popen([sys.executable, "-m", "otter", "run", "-a", str(autograder), "-o",
                             out, str(notebook)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, **GRADING_ENV})
        peak = 0
        while proc.poll() is None:
            try:
                total = 0
                for p in [proc, *proc.children(recursive=True)]:
                    try:
                        total += p.memory_full_info().pss
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        pass
                peak = max(peak, total)
            except psutil.NoSuchProcess:
                pass
            time.sleep(0.1)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        score = (Path(out) / "results.json").exists()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "peak_pss_mb": peak / 2**20,
            "graded": float(score)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--notebook", type=Path, default=ROOT / "dist/solution/hierarchical.ipynb")
    parser.add_argument("--autograder", type=Path, default=ROOT / "dist/autograder.zip")
    args = parser.parse_args()
    runs = [measure(args.notebook.resolve(), args.autograder.resolve()) for _ in range(args.runs)]
    for i, r in enumerate(runs, 1):
        print(f"run {i}: wall {r['wall_s']:.1f} s, cpu {r['cpu_s']:.1f} s, "
              f"peak pss {r['peak_pss_mb']:.0f} MB, results {'yes' if r['graded'] else 'NO'}")
    for key in ("wall_s", "cpu_s", "peak_pss_mb"):
        print(f"median {key}: {statistics.median(r[key] for r in runs):.1f}")


if __name__ == "__main__":
    main()
