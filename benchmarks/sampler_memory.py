"""What the student's kernel pays for its three fits, by sampler: CPU and peak memory of a
fresh process that fits the three reference models at the activity's settings (one core,
warm compile cache). Each run is its own process, so imports and compiles are counted.

    .venv/bin/python benchmarks/sampler_memory.py --runs 2 --samplers nutpie pymc
"""

from __future__ import annotations

import sys
from pathlib import Path

# The example assignment (assignment/, autograder/, solutions/) is a folder, not a package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import os
import subprocess

CHILD = """
import resource, sys, time
import psutil
from assignment.activity import load_spotify
from solutions.models import REFERENCES, SAMPLING
import pymc as pm
spotify, _ = load_spotify("data/spotify.csv")
start = time.process_time()
for name, factory in REFERENCES.items():
    with factory(spotify).model:
        pm.sample(**{**SAMPLING, "nuts_sampler": sys.argv[1]}, progressbar=False)
pss = psutil.Process().memory_full_info().pss / 2**20
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{time.process_time() - start:.1f} {pss:.0f} {peak:.0f}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--samplers", nargs="+", default=["nutpie", "pymc"])
    args = parser.parse_args()
    from poolside import grade

    env = {**os.environ, **grade.grading_environment(grade.default_cache())}
    for run in range(args.runs):
        for sampler in args.samplers:  # interleaved, so load drifts hit both alike
            done = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", CHILD, sampler],
                                  capture_output=True, text=True, env=env, check=True,
                                  cwd=Path(__file__).resolve().parents[1])
            cpu, pss, peak = done.stdout.split()[-3:]
            print(f"run {run + 1} {sampler:>6}: sampling CPU {cpu} s, PSS after {pss} MB, "
                  f"peak RSS {peak} MB", flush=True)


if __name__ == "__main__":
    main()
