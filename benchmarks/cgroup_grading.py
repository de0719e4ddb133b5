"""Benchmark: grading inside a real limit, Gradescope's default container as a cgroup.

Grades notebooks with the zip's own runner (as ``run_autograder`` does, warm compile cache)
inside a memory cgroup of ``--memory`` MB (768: Gradescope's default) and a CPU quota of
``--cpus`` cores, and reports for each: status and score, the cgroup's peak memory (everything
the grading ran: runner, sandbox, kernel), the headroom to the limit, out-of-memory events and
CPU seconds. Notebooks: the solution, and a heavier honest one (the solution plus an extra
hierarchical fit kept in memory and several figures), which must both keep full marks.

Needs root and cgroup v1 memory and cpu controllers (or cgroup v2) mounted under
/sys/fs/cgroup.

    .venv/bin/python benchmarks/cgroup_grading.py --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
NAME = "poolside-bench"

#: What an honest, more thorough student adds: a second hierarchical fit kept alongside the
#: first, and six figures left open.
HEAVIER = """
import matplotlib.pyplot as plt

second_hierarchical_fit = fit_hierarchical(spotify)
figures = []
for bins in range(8, 20, 2):
    fig, ax = plt.subplots()
    ax.hist(spotify["popularity"], bins=bins)
    ax.set_xlabel("popularity")
    figures.append(fig)
"""


class Cgroup:
    """A memory and CPU limited cgroup (v2 if mounted as such, else v1 controllers)."""

    def __init__(self, memory_mb: int, cpus: float):
        base = Path("/sys/fs/cgroup")
        self.v2 = (base / "cgroup.controllers").is_file()
        if self.v2:
            self.dirs = [base / NAME]
        else:
            self.dirs = [base / "memory" / NAME, base / "cpu" / NAME, base / "cpuacct" / NAME]
        for d in self.dirs:
            d.mkdir(exist_ok=True)
        limit = memory_mb * 2**20
        period = 100_000
        if self.v2:
            (self.dirs[0] / "memory.max").write_text(str(limit))
            (self.dirs[0] / "memory.swap.max").write_text("0")
            (self.dirs[0] / "cpu.max").write_text(f"{int(cpus * period)} {period}")
        else:
            memory, cpu, _ = self.dirs
            (memory / "memory.limit_in_bytes").write_text(str(limit))
            swap = memory / "memory.memsw.limit_in_bytes"
            if swap.exists():  # no swapping past the limit either
                swap.write_text(str(limit))
            (cpu / "cpu.cfs_period_us").write_text(str(period))
            (cpu / "cpu.cfs_quota_us").write_text(str(int(cpus * period)))

    def reset(self) -> None:
        """Between runs: drop the page cache the last run left charged to the cgroup (it would
        count in the next peak), then restart the peak and CPU counters."""
        if not self.v2:
            try:
                (self.dirs[0] / "memory.force_empty").write_text("0")
            except OSError:
                pass
            (self.dirs[0] / "memory.max_usage_in_bytes").write_text("0")
            (self.dirs[2] / "cpuacct.usage").write_text("0")

    def enter(self) -> None:
        """In the child, before it runs: join the cgroup."""
        for d in self.dirs:
            (d / "cgroup.procs").write_text(str(os.getpid()))

    def peak_mb(self) -> float:
        if self.v2:
            peak = self.dirs[0] / "memory.peak"
            return int(peak.read_text()) / 2**20 if peak.exists() else float("nan")
        return int((self.dirs[0] / "memory.max_usage_in_bytes").read_text()) / 2**20

    def oom_events(self) -> int:
        if self.v2:
            events = dict(line.split() for line in
                          (self.dirs[0] / "memory.events").read_text().splitlines())
            return int(events.get("oom_kill", 0))
        control = dict(line.split() for line in
                       (self.dirs[0] / "memory.oom_control").read_text().splitlines())
        return int(control.get("oom_kill", 0))

    def cpu_s(self) -> float:
        if self.v2:
            stat = dict(line.split() for line in (self.dirs[0] / "cpu.stat").read_text().splitlines())
            return int(stat["usage_usec"]) / 1e6
        return int((self.dirs[2] / "cpuacct.usage").read_text()) / 1e9

    def remove(self) -> None:
        for d in self.dirs:
            try:
                d.rmdir()
            except OSError:
                pass


def heavier(target: Path) -> Path:
    nb = nbformat.read(DIST / "solution" / "hierarchical.ipynb", as_version=4)
    # After the hierarchical fit's cell, so the extra work is held for the rest of the run.
    at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code"
              and "hierarchical_fit = fit_hierarchical(spotify)" in c.source) + 1
    nb.cells.insert(at, nbformat.v4.new_code_cell(HEAVIER))
    nbformat.write(nb, target)
    return target


def grade_in(cgroup: Cgroup, notebook: Path, files: Path, cache: Path, work: Path) -> dict:
    cgroup.reset()
    before = cgroup.cpu_s()
    command = [sys.executable, "-m", "poolside.grading.runner", str(notebook), str(work),
               "--assignment", str(files), "--cache", str(cache)]
    from poolside.grade import grading_environment

    done = subprocess.run(command, cwd=files, preexec_fn=cgroup.enter, capture_output=True,
                          text=True, env={**os.environ, **grading_environment(cache)})
    results = work / "results.json"
    score = (json.loads(results.read_text())["score"] if results.exists() else float("nan"))
    return {"returncode": done.returncode, "score": score, "peak_mb": cgroup.peak_mb(),
            "oom_kills": cgroup.oom_events(), "cpu_s": cgroup.cpu_s() - before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory", type=int, default=768, help="MB")
    parser.add_argument("--cpus", type=float, default=1.0)
    args = parser.parse_args()
    from poolside.grade import cache_stamp, unpack, warm_cache

    scratch = Path(tempfile.mkdtemp(prefix="poolside-cgroup-"))
    cgroup = Cgroup(args.memory, args.cpus)
    try:
        files = unpack(DIST / "autograder.zip", scratch / "files")
        cache = scratch / "cache"
        warm_cache(cache, lambda text: None, files, cache_stamp(DIST / "autograder.zip"))
        notebooks = {"solution": DIST / "solution" / "hierarchical.ipynb",
                     "heavier": heavier(scratch / "heavier.ipynb")}
        results = {name: [] for name in notebooks}
        for run in range(args.runs):
            for name, notebook in notebooks.items():
                work = scratch / f"{name}-{run}"
                r = grade_in(cgroup, notebook, files, cache, work)
                results[name].append(r)
                print(f"run {run + 1} {name:>8}: score {r['score']:g}, peak {r['peak_mb']:.0f} MB "
                      f"of {args.memory}, OOM kills {r['oom_kills']}, CPU {r['cpu_s']:.1f} s, "
                      f"exit {r['returncode']}", flush=True)
    finally:
        cgroup.remove()
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"\nmedians of {args.runs} runs in a {args.memory} MB, {args.cpus:g}-core cgroup:")
    for name, runs in results.items():
        peak = statistics.median(r["peak_mb"] for r in runs)
        print(f"{name:>8}: score {statistics.median(r['score'] for r in runs):g}, peak "
              f"{peak:.0f} MB, headroom {args.memory - peak:.0f} MB, CPU "
              f"{statistics.median(r['cpu_s'] for r in runs):.1f} s, OOM kills "
              f"{sum(r['oom_kills'] for r in runs)}")


if __name__ == "__main__":
    main()
