"""The numbers the public model checks compare with: each reference model's log-density terms
at fixed points, stored for the student bundle (``assignment/public_models.json``).

The students' checks evaluate their own model at these points in their own kernel and compare
term by term, as the hidden check does at points drawn per grading. Only numbers leave here:
the points, the terms, the observed data and the variables' names, all of which the prompt
already states. Regenerate after changing a reference model or the priors (a test fails until
then)::

    python -m solutions.public
"""

from __future__ import annotations

import json
from pathlib import Path

from poolside.grading import model_check
from solutions.models import REFERENCES, candidates, parameters

try:  # the notebook imports activity.py as a top-level module
    from activity import load_spotify
except ImportError:
    from assignment.activity import load_spotify

__all__ = ["expected", "PATH", "SEED"]

ROOT = Path(__file__).resolve().parents[1]
PATH = ROOT / "assignment" / "public_models.json"
#: Fixed, unlike the hidden check's points: the student sees the same verdict every run.
SEED = 20161


def expected(data: Path = ROOT / "data" / "spotify.csv") -> dict:
    """For each model: its points, its accepted parameterisations' terms there, the data."""
    spotify, artist_means = load_spotify(data)
    artists = [str(a) for a in artist_means["artist"]]
    document = {}
    for i, kind in enumerate(REFERENCES):
        points = model_check.test_points(parameters(kind), artists, seed=SEED + i)
        references = [build(None) for build in candidates(kind, spotify)]
        document[kind] = {**model_check.store(references, points), "artists": artists,
                          "observed": spotify["popularity"].astype(float).tolist()}
    return document


def main() -> None:
    PATH.write_text(json.dumps(expected(), indent=None, separators=(",", ":")) + "\n",
                    encoding="utf-8")
    print(f"wrote {PATH.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
