"""Do the summary bands pass correct fits whatever their seed? Refit every reference model at
several seeds and compare each fit with the stored reference exactly as grading does.

For every comparison (median, 10% and 90% quantile of every parameter) it reports the ratio
|student - reference| / band: grading fails a fit when any ratio exceeds 1. The bands are
designed so that a correct fit fails one comparison with probability about 6e-7, so across all
seeds the largest ratio should sit well below 1, and no fit should fail.

    .venv/bin/python benchmarks/band_seeds.py --seeds 1 2 3 4 5 6 7 8
"""

from __future__ import annotations

import sys
from pathlib import Path

# The example assignment (assignment/, autograder/, solutions/) is a folder, not a package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import logging

import numpy as np

from assignment.activity import load_spotify
from poolside.grading import fit_check
from poolside.grading.feedback import GradingError
from tests import project as paths
from solutions import reference as ref
from solutions.models import REFERENCES, sample


def ratios(idata, reference: dict, artists: list[str]) -> list[float]:
    """|difference| / band of every comparison check_summaries makes."""
    out = []
    position = {a: i for i, a in enumerate(artists)}
    for key, r in reference.items():
        name, _, label = key.partition("[")
        s = fit_check.summary_bands(idata, name, position[label.rstrip("]")] if label else None)
        floor = fit_check.SD_FLOOR * r["mad_sd"]
        out.append(abs(s["median"] - r["median"])
                   / (fit_check.Z * np.hypot(s["mcse_median"], r["mcse_median"]) + floor))
        for q in ("q10", "q90"):
            out.append(abs(s[q] - r[q]) / (fit_check.Z * np.sqrt(2) * s[f"mcse_{q}"] + floor))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6, 7, 8])
    args = parser.parse_args()
    logging.getLogger("pymc").setLevel(logging.ERROR)
    spotify, artist_means = load_spotify(paths.DATA)
    artists = [str(a) for a in artist_means["artist"]]
    stored = ref.load()
    worst, failures, comparisons = 0.0, 0, 0
    for seed in args.seeds:
        for name, factory in REFERENCES.items():
            idata = sample(factory(spotify), random_seed=seed)
            r = ratios(idata, stored[name], artists)
            comparisons += len(r)
            try:
                fit_check.check_summaries(idata, stored[name], artists, name)
                verdict = "pass"
            except GradingError as err:
                failures += 1
                verdict = f"FAIL: {err}"
            worst = max(worst, max(r))
            print(f"seed {seed:>5} {name:>16}: largest |diff|/band {max(r):.2f}, "
                  f"median {np.median(r):.2f}; {verdict}", flush=True)
    print(f"\n{len(args.seeds)} seeds x {len(REFERENCES)} models: {failures} failed fits, "
          f"{comparisons} comparisons, largest |diff|/band {worst:.2f}")


if __name__ == "__main__":
    main()
