"""Where the student's kernel memory goes: a bare process doing what the notebook does (its
imports, then the three fits at the activity's settings with the warm compile cache), with its
RSS, PSS and USS after each step. Medians over ``--runs`` fresh processes, one core.

    .venv/bin/python benchmarks/kernel_memory.py --runs 3

No Jupyter kernel and no grader: this is the floor of what grading one submission holds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import json, sys
import psutil
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/assignment"]
steps = []
def step(label):
    m = psutil.Process().memory_full_info()
    steps.append([label, m.rss / 2**20, m.pss / 2**20, m.uss / 2**20])
step("python")
import numpy, pandas; step("numpy, pandas")
import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot; step("matplotlib")
import pymc as pm; step("pymc")
import arviz; step("arviz")
import nutpie; step("nutpie")
from activity import load_spotify
from solutions.models import REFERENCES, SAMPLING
spotify, _ = load_spotify(sys.argv[1] + "/data/spotify.csv")
fits = []
for name, factory in REFERENCES.items():
    with factory(spotify).model:
        fits.append(pm.sample(**SAMPLING, progressbar=False))
    step("fit " + name)
print(json.dumps(steps))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from poolside import grade

    env = {**os.environ, **grade.grading_environment(grade.default_cache())}
    runs = []
    for _ in range(args.runs):
        done = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", CHILD, str(ROOT)],
                              capture_output=True, text=True, env=env, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{'after':24s} {'RSS MB':>7s} {'PSS MB':>7s} {'USS MB':>7s}   (median of {args.runs})")
    for i, (label, *_) in enumerate(runs[0]):
        rss, pss, uss = (statistics.median(run[i][k] for run in runs) for k in (1, 2, 3))
        print(f"{label:24s} {rss:7.0f} {pss:7.0f} {uss:7.0f}")


if __name__ == "__main__":
    main()
