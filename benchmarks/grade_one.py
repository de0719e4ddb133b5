"""Benchmark: what grading one full submission costs, for one or more stacks side by side.

Each configuration grades the solution notebook on one core (``taskset -c 0``), as
Gradescope's 0.5 vCPU container would, the way its zip's ``run_autograder`` does: with the
zip's own runner (``python -m poolside.grading.runner``: the notebook in a sandbox, the verdicts
outside) when the zip has one, else with ``otter run`` (the checks inside the kernel, as before
the runner existed). It reports the median over ``--runs`` of:

* CPU seconds of all processes (the larger of getrusage of reaped children and the sum of
  every process's CPU time sampled every 0.1 s: otter or the runner, the sandbox, the kernel);
* peak memory of all processes together, sampled every 0.1 s, as the sum of PSS (shared pages
  divided among the processes sharing them, close to what a container's limit counts) and the
  sum of RSS (shared pages counted in every process: an upper bound);
* the score, so a fast run that graded wrongly cannot pass unnoticed.

Runs are interleaved (run 1 of every configuration, then run 2, ...) so that machine load
drifts affect all configurations alike. A configuration is ``NAME=PYTHON:DIST`` with ``DIST``
holding ``autograder.zip`` and ``solution/hierarchical.ipynb``; each is measured with a
**cold** compile cache (a new empty folder per run, as in a fresh container) and a **warm**
one (a folder warmed once before the first run, as ``setup.sh`` and ``poolside grade`` do).

    .venv/bin/python benchmarks/grade_one.py --runs 3 \\
        --stack new=.venv/bin/python:dist \\
        --stack old=../baseline-old/.venv/bin/python:../baseline-old/dist

``--also-run`` adds ``poolside run`` on the same notebook for each stack (``NAME/run``, warm):
the zip's runner with the tool's single-file command around it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

import psutil

from poolside.grade import GRADING_ENV


def cache_environment(python: str, root: Path) -> dict[str, str]:
    """Point a stack's compile caches at ``root``. The new stack says how itself
    (``poolside.grading.cache.environment``); an older one has only PyTensor's base_compiledir."""
    probe = subprocess.run(
        [python, "-c", "import json, sys\ntry:\n from poolside.grading.cache import environment\n"
                       "except ImportError:\n from autograder.cache import environment\n"
                       "print(json.dumps(environment(sys.argv[1])))", str(root)],
        capture_output=True, text=True, cwd=_repo(python))
    if probe.returncode == 0:
        return json.loads(probe.stdout)
    return {"PYTENSOR_FLAGS": f"base_compiledir={root / 'pytensor'}",
            "NUMBA_CACHE_DIR": str(root / "numba")}


def _repo(python: str) -> Path:
    """The checkout a stack's interpreter belongs to (``REPO/.venv/bin/python``)."""
    return Path(python).parents[2]


def warm(python: str, dist: Path, cache: Path) -> None:
    """Fill ``cache`` the way the stack's own grading does before the first submission."""
    env = {**os.environ, **cache_environment(python, cache)}
    repo = _repo(python)
    if (repo / "poolside.toml").is_file():  # an assignment folder (this layout)
        command = ["-m", "poolside.grading.cache", "warm", str(cache), "--assignment", str(repo)]
    else:  # the layout before poolside.toml
        command = ["-m", "autograder.cache", "warm", str(cache), str(repo / "data" / "spotify.csv")]
    warmer = subprocess.run([python, *command], env=env, cwd=repo, capture_output=True, text=True)
    if warmer.returncode != 0:  # a stack without a warm step: grade once to fill the cache
        measure(python, dist, cache)


def _command(python: str, dist: Path, cache: Path, out: str) -> tuple[list[str], str | None]:
    """How the stack's zip grades one notebook, and the folder to run it in."""
    zip_path = dist / "autograder.zip"
    notebook = str(dist / "solution/hierarchical.ipynb")
    with zipfile.ZipFile(zip_path) as zf:
        runners = {"files/poolside/grading/runner.py": ["poolside.grading.runner"],
                   "files/autograder/runner.py": ["autograder.runner"]}
        found = next((r for r in runners if r in zf.namelist()), None)
        if found is not None:
            files = Path(out) / "files"
            for name in zf.namelist():
                if name.startswith("files/") and not name.endswith("/"):
                    (files / name[6:]).parent.mkdir(parents=True, exist_ok=True)
                    (files / name[6:]).write_bytes(zf.read(name))
            extra = ["--assignment", str(files)] if "poolside" in found else []
            return ([python, "-m", *runners[found], notebook, str(Path(out) / "work"),
                     "--cache", str(cache), *extra], str(files))
    return [python, "-m", "otter", "run", "-a", str(zip_path), "-o", out, notebook], None


def _via_run(python: str, dist: Path, xdg: Path) -> tuple[list[str], None]:
    """``poolside run`` on the solution: the zip's runner with no batch around it (its compile
    cache is the default one under ``xdg``)."""
    return ([python, "-m", "poolside", "run", str(dist / "solution/hierarchical.ipynb"),
             "-a", str(dist / "autograder.zip")], None)


def measure(python: str, dist: Path, cache: Path, via_run: bool = False) -> dict[str, float]:
    env = {**os.environ, **GRADING_ENV, **cache_environment(python, cache)}
    if via_run:
        env["XDG_CACHE_HOME"] = str(cache)
    with tempfile.TemporaryDirectory() as out:
        command, cwd = _via_run(python, dist, cache) if via_run else \
            _command(python, dist, cache, out)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        printed = Path(out) / "stdout.txt"
        proc = psutil.Popen(["taskset", "-c", "0", *command], cwd=cwd,
                            stdout=printed.open("w"), stderr=subprocess.DEVNULL, env=env)
        peak_pss = peak_rss = 0
        # CPU per process, last seen: a sandbox's processes live in their own PID namespace
        # and are not all reaped up to us, so getrusage alone undercounts them.
        seen: dict[tuple[int, float], float] = {}
        roles: dict[tuple[int, float], str] = {}
        at_peak: dict[str, float] = {}
        while proc.poll() is None:
            pss = rss = 0
            shares: dict[str, float] = {}
            try:
                family = [proc, *proc.children(recursive=True)]
            except psutil.NoSuchProcess:
                family = []
            for p in family:
                try:
                    info = p.memory_full_info()
                    pss, rss = pss + info.pss, rss + info.rss
                    times = p.cpu_times()
                    seen[p.pid, p.create_time()] = times.user + times.system
                    role = _role(p.cmdline())
                    if role != "?":  # an exiting process has no command line left
                        roles[p.pid, p.create_time()] = role
                    shares[role] = shares.get(role, 0) + info.pss / 2**20
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            if pss > peak_pss:
                at_peak = shares
            peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
            time.sleep(0.1)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        results = next((p for p in (Path(out) / "results.json",
                                     Path(out) / "work" / "results.json") if p.exists()),
                       Path(out) / "results.json")
        score = (sum(t.get("score", 0) for t in json.loads(results.read_text())["tests"])
                 if results.exists() else _printed_total(printed.read_text()))
    reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # The larger of the two: reaped children are exact where they were all reaped; sampling
    # misses at most the last 0.1 s of each process.
    cpu = max(reaped, sum(seen.values()))
    cpu_by_role: dict[str, float] = {}
    for key, seconds in seen.items():
        role = roles.get(key, "?")
        cpu_by_role[role] = cpu_by_role.get(role, 0) + seconds
    return {"cpu_s": cpu, "wall_s": wall, "peak_pss_mb": peak_pss / 2**20,
            "peak_rss_mb": peak_rss / 2**20, "score": score, "at_peak": at_peak,
            "cpu_by_role": cpu_by_role}


def _printed_total(text: str) -> float:
    """The total ``poolside run`` printed ("   total  51 / 51")."""
    for line in text.splitlines():
        words = line.split()
        if words[:1] == ["total"] and len(words) >= 2:
            return float(words[1])
    return float("nan")


def _role(cmdline: list[str]) -> str:
    """Which part of grading a process is, from its command line."""
    text = " ".join(cmdline)
    for marker, role in (("ipykernel", "kernel"), ("sandboxed.kernel", "kernel"),
                         ("sandboxed.execute", "notebook runner"),
                         ("grading.runner", "grader"), ("autograder.runner", "grader"), ("otter", "otter"),
                         ("bwrap", "sandbox"), ("setpriv", "sandbox"), ("taskset", "taskset")):
        if marker in text:
            return role
    return text[:40] or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stack", action="append", default=[],
                        help="NAME=PYTHON:DIST (repeatable; default new=.venv/bin/python:dist)")
    parser.add_argument("--modes", default="cold,warm")
    parser.add_argument("--also-run", action="store_true",
                        help="also measure `poolside run` (warm) for each stack, as NAME/run")
    args = parser.parse_args()
    stacks = {}
    for spec in args.stack or ["new=.venv/bin/python:dist"]:
        name, _, rest = spec.partition("=")
        python, _, dist = rest.partition(":")
        stacks[name] = (str(Path(python).absolute()), Path(dist).resolve())
    modes = args.modes.split(",")
    scratch = Path(tempfile.mkdtemp(prefix="poolside-bench-"))
    try:
        warm_caches = {}
        if "warm" in modes:
            for name, (python, dist) in stacks.items():
                warm_caches[name] = scratch / f"{name}-warm"
                warm(python, dist, warm_caches[name])
        results = {(name, mode): [] for name in stacks for mode in modes}
        configurations = [(name, mode, False) for name in stacks for mode in modes]
        if args.also_run:
            for name, (python, dist) in stacks.items():
                xdg = scratch / f"{name}-run-xdg"
                measure(python, dist, xdg, via_run=True)  # warms its default cache once
                warm_caches[f"{name}/run"] = xdg
                results[f"{name}/run", "warm"] = []
                configurations.append((f"{name}/run", "warm", True))
        for run in range(args.runs):
            for name, mode, via_run in configurations:
                python, dist = stacks[name.split("/")[0]]
                cache = warm_caches[name] if mode == "warm" else scratch / f"{name}-cold-{run}"
                r = measure(python, dist, cache, via_run)
                results[name, mode].append(r)
                parts = ", ".join(f"{k} {v:.0f}" for k, v in
                                  sorted(r["at_peak"].items(), key=lambda kv: -kv[1]))
                print(f"run {run + 1} {name:>6} {mode}: cpu {r['cpu_s']:5.1f} s, wall "
                      f"{r['wall_s']:5.1f} s, peak PSS {r['peak_pss_mb']:4.0f} MB ({parts}), "
                      f"RSS {r['peak_rss_mb']:4.0f} MB, score {r['score']:g}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"\nmedians of {args.runs} runs, one core:")
    print(f"{'stack':>8} {'cache':>5} {'CPU s':>7} {'wall s':>7} {'PSS MB':>7} {'RSS MB':>7} "
          f"{'score':>6}")
    for (name, mode), runs in results.items():
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]
               if k not in ("at_peak", "cpu_by_role")}
        print(f"{name:>8} {mode:>5} {med['cpu_s']:7.1f} {med['wall_s']:7.1f} "
              f"{med['peak_pss_mb']:7.0f} {med['peak_rss_mb']:7.0f} {med['score']:6g}")


if __name__ == "__main__":
    main()
