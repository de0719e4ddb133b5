"""Reference posterior summaries: fit once by the instructor, stored, read at grading time.

Command (from the assignment folder)::

    python -m solutions.reference            # show the stored summaries
    python -m solutions.reference --refit    # sample the reference models again and store them
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pymc as pm

from poolside.grading.assignment import load as load_assignment
from solutions.models import REFERENCES, SAMPLING, sample

try:  # the notebook imports activity.py as a top-level module
    from activity import load_spotify, tidy
except ImportError:
    from assignment.activity import load_spotify, tidy

__all__ = ["main", "load", "summarise", "fingerprint"]

ASSIGNMENT = load_assignment(Path(__file__).resolve().parents[1])

#: The statistics stored for every parameter (the "S" of the specification).
STATS = ("median", "mad_sd", "q10", "q90", "mcse_median")


def summarise(table) -> dict[str, dict[str, float]]:
    """A :func:`tidy` table as summaries keyed ``name`` or ``name[artist]``, each with
    :data:`STATS`."""
    return {
        str(key): {stat: float(row[stat]) for stat in STATS} for key, row in table.iterrows()
    }


def fingerprint(reference) -> list[float]:
    """The model's log-density at the autograder's fixed test points.

    Stored beside the summaries, it ties them to the model that produced them: if a reference
    model changes without a refit, the fingerprint no longer matches (tests/test_reference.py).
    """
    from pymc.model.transform.conditioning import remove_value_transforms

    logp = remove_value_transforms(reference.model).compile_logp()
    return [float(logp(point)) for point in fingerprint_points(reference)]


def fingerprint_points(reference, n: int = 5, seed: int = 0) -> list[dict[str, np.ndarray]]:
    """Fixed parameter points on the natural scale (seed 0), the ones the stored
    fingerprints were computed at: values spread over where each free variable's posterior
    and prior put mass."""
    rng = np.random.default_rng(seed)
    model = reference.model
    shapes = {rv.name: tuple(rv.type.shape) if None not in rv.type.shape
              else tuple(np.shape(pm.draw(rv, random_seed=0))) for rv in model.free_RVs}
    points = []
    for _ in range(n):
        point = {}
        for rv in model.free_RVs:
            shape = shapes[rv.name]
            if rv.name in reference.positive:
                value = rng.uniform(0.3, 30.0, size=shape)
            elif rv.name in reference.per_artist or rv.name == reference.open_name:
                value = rng.normal(0.0 if rv.name == reference.open_name else 55.0,
                                   1.0 if rv.name == reference.open_name else 20.0, size=shape)
            else:
                value = rng.normal(55.0, 10.0, size=shape)
            point[rv.name] = value
        points.append(point)
    return points



def fit(random_seed: int = SAMPLING["random_seed"]) -> dict:
    """Fit every reference model and return the JSON document to store."""
    spotify, _ = load_spotify(ASSIGNMENT.data[0])
    document = {"summaries": {}, "diagnostics": {}, "fingerprints": {},
                "sampling": {**SAMPLING, "random_seed": random_seed}}
    for name, factory in REFERENCES.items():
        reference = factory(spotify)
        start = time.perf_counter()
        idata = sample(reference, random_seed=random_seed)
        table = tidy(idata, var_names=list(reference.summarised))
        document["summaries"][name] = summarise(table)
        document["fingerprints"][name] = fingerprint(reference)
        document["diagnostics"][name] = {
            "seconds": round(time.perf_counter() - start, 1),
            "max_r_hat": float(table["r_hat"].max()),
            "min_ess_median": float(table["ess_median"].min()),
            "divergences": int(idata.sample_stats["diverging"].sum()),
        }
    return document


def load(path: Path = ASSIGNMENT.references) -> dict[str, dict[str, dict[str, float]]]:
    """The stored summaries: ``{model: {parameter: S}}``."""
    return json.loads(Path(path).read_text(encoding="utf-8"))["summaries"]


def main(refit: bool = False, random_seed: int = SAMPLING["random_seed"],
         path: Path = ASSIGNMENT.references) -> dict:
    """Print-ready reference summaries; with ``refit`` the models are sampled and stored first."""
    if refit:
        document = fit(random_seed)
        Path(path).write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n",
                              encoding="utf-8")
    return load(path)


def _cli(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m solutions.reference",
                                     description="Show (or regenerate) the stored reference "
                                                 "posterior summaries.")
    parser.add_argument("--refit", action="store_true",
                        help="sample the reference models again and store them")
    parser.add_argument("--seed", type=int, default=SAMPLING["random_seed"],
                        help="seed for --refit (default: the activity's)")
    parser.add_argument("--json", action="store_true", help="print the summaries as JSON")
    args = parser.parse_args(argv)
    summaries = main(refit=args.refit, random_seed=args.seed)
    if args.json:
        print(json.dumps(summaries, indent=1, ensure_ascii=False))
        return 0
    for model, table in summaries.items():
        print(f"\n{model}")
        for name, s in table.items():
            print(f"  {name:28s} median {s['median']:7.2f}  mad_sd {s['mad_sd']:6.2f}"
                  f"  80% [{s['q10']:6.2f}, {s['q90']:6.2f}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(_cli())
