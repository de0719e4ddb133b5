"""The numbers the public model checks compare with: each reference model's log-density terms
at fixed points, stored for the student bundle (``assignment/public_models.json``).

The students' checks evaluate their own model at these points in their own kernel and compare
term by term, as the hidden check does at points drawn per grading. Only numbers leave here:
the points, the terms, the observed data and the variables' names, all of which the prompt
already states.

Also, for the prediction exercises, a posterior made up here (``public_posteriors.npz``: draws
centred on round numbers and the artists' observed means, not on any fit) and, for the artists
the check asks about, each draw's predictive centre and sd under the exercise's model: numbers,
not the formulas (those stay in ``autograder/predict_check.py``). Regenerate after changing a
reference model, the priors or a prediction formula (a test fails until then)::

    python -m autograder.public
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from autograder import predict_check
from poolside.grading import model_check
from solutions.models import REFERENCES, candidates, parameters

try:  # the notebook imports activity.py as a top-level module
    from activity import load_spotify
except ImportError:
    from assignment.activity import load_spotify

__all__ = ["expected", "posteriors", "PATH", "POSTERIORS", "SEED", "ASKED"]

ROOT = Path(__file__).resolve().parents[1]
PATH = ROOT / "assignment" / "public_models.json"
POSTERIORS = ROOT / "assignment" / "public_posteriors.npz"
#: The artists each prediction check asks about, as the hidden checks do.
ASKED = {"complete_pooled": ["Macalester Beats", "Beyoncé", "Mia X"],
         "no_pooled": ["Mia X", "Beyoncé", "Sean Kingston"],
         "hierarchical": ["Macalester Beats", "Beyoncé", "Mia X"]}
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


def posteriors(data: Path = ROOT / "data" / "spotify.csv") -> dict[str, np.ndarray]:
    """Per model, a made-up posterior spread as the grader's stand-ins are (so that each wrong
    formula is measurably off) and, per artist asked about, each draw's predictive centre and
    sd, as float32 arrays keyed ``kind/variable`` and ``kind/centre/artist``."""
    _, artist_means = load_spotify(data)
    artists = [str(a) for a in artist_means["artist"]]
    observed = dict(zip(artists, artist_means["popularity"].astype(float)))
    made_up = {"complete_pooled": {"mu": 55.0, "sigma": 20.0},
               "no_pooled": {"sigma": 14.0, **{f"mu_j[{a}]": m for a, m in observed.items()}},
               "hierarchical": {"mu": 52.0, "sigma_y": 14.0, "sigma_mu": 15.0,
                                **{f"mu_j[{a}]": m for a, m in observed.items()}}}
    arrays = {}
    for i, (kind, centres) in enumerate(made_up.items()):
        summaries = {name: {"median": value, "mad_sd": 1.0} for name, value in centres.items()}
        draws = predict_check.stand_in_draws(summaries, artists, SEED + 10 + i)
        draws = {k: v.astype(np.float32) for k, v in draws.items()}
        arrays.update({f"{kind}/{name}": value for name, value in draws.items()})
        position = {a: j for j, a in enumerate(artists)}
        arrays[f"{kind}/asked"] = np.array(ASKED[kind])
        for artist in ASKED[kind]:
            centre, sd = predict_check.draw_parameters(draws, kind, position.get(artist))
            arrays[f"{kind}/centre/{artist}"] = np.asarray(centre, np.float32)
            arrays[f"{kind}/sd/{artist}"] = np.asarray(sd, np.float32)
    return arrays


def main() -> None:
    PATH.write_text(json.dumps(expected(), indent=None, separators=(",", ":")) + "\n",
                    encoding="utf-8")
    np.savez_compressed(POSTERIORS, **posteriors())
    print(f"wrote {PATH.relative_to(ROOT)} and {POSTERIORS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
