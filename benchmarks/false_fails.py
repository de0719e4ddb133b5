"""How often do the hidden checks fail correct work? Run every case that judges the student's
functions (predictions, plots, tables, pooling weights, answers, models) against the master's
own solution at many grading seeds, each drawing its own stand-in posteriors and test points,
and count the failures.

Fits are left out: their bands are measured by refitting at several seeds
(``benchmarks/band_seeds.py``).

    .venv/bin/python benchmarks/false_fails.py --seeds 300
"""

from __future__ import annotations

import sys
from pathlib import Path

# The example assignment (assignment/, autograder/, solutions/) is a folder, not a package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import collections
import logging
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from tests.project import REGISTRY as registry
from poolside.grading.feedback import GradingError
from solutions.master_run import run_master


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="grading seeds per case")
    parser.add_argument("--first-seed", type=int, default=1)
    args = parser.parse_args(argv)
    logging.getLogger("pymc").setLevel(logging.ERROR)

    env = run_master()["end"]
    cases = [c for c in registry.cases if "posterior comes from" not in c.name]
    failures = collections.Counter()
    started = time.process_time()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for case in cases:
            try:
                registry.check(case.name, env, seed=seed)
            except GradingError as error:
                failures[case.name] += 1
                print(f"seed {seed}: {case.name}: {error}")
        plt.close("all")
    checks = args.seeds * len(cases)
    print(f"{len(cases)} cases x {args.seeds} seeds = {checks} checks of correct work, "
          f"{sum(failures.values())} failed ({time.process_time() - started:.0f} CPU-s)")
    for name, count in failures.most_common():
        print(f"  {count:4d}  {name}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
