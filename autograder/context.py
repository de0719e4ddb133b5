"""One grading's trusted context: the data, the references, and the inputs given to probes.

Inputs are made afresh for each grading from a seed the grader draws (stand-in posteriors,
predictions to plot, test points for the models), so no answer can be computed ahead of
time. The grader keeps the objects it made, to judge the reports against; the probes get the
same inputs as plain data (:attr:`Grading.inputs`).
"""

from __future__ import annotations

import json
import secrets
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import model_check, predict_check
from .feedback import GradingError
from .sandboxed import describe

try:  # at grading time activity.py sits next to the notebook, outside any package
    from activity import load_spotify
except ImportError:
    from assignment.activity import load_spotify

from solutions.models import parameters

__all__ = ["Grading", "data", "references"]

HERE = Path(__file__).resolve().parent
REFERENCE_JSON = HERE.parent / "solutions" / "reference.json"
DATA_PLACES = (HERE.parent / "spotify.csv", HERE.parent / "data" / "spotify.csv")


@lru_cache(maxsize=1)
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    path = next((p for p in DATA_PLACES if p.exists()), None)
    if path is None:
        raise GradingError("The autograder could not find spotify.csv (an instructor problem).")
    return load_spotify(path)


@lru_cache(maxsize=1)
def references() -> dict:
    return json.loads(REFERENCE_JSON.read_text(encoding="utf-8"))["summaries"]


class Grading:
    """What the grader made for one grading: inputs for the probes, and its own copies.

    Parameters
    ----------
    seed : int, optional
        Seeds every input; a fresh random one when None (as in real grading).
    """

    def __init__(self, seed: int | None = None):
        self.seed = secrets.randbits(32) if seed is None else int(seed)
        self.spotify, self.artist_means = data()
        self.artists = [str(a) for a in self.artist_means["artist"]]
        self.inputs: dict = {"artists": list(self.artists)}
        self._made: dict = {}

    def _seed(self, key: str) -> int:
        # Each input gets its own stream, fixed by the grading's seed and the input's name.
        return int(np.random.SeedSequence([self.seed, *key.encode()]).generate_state(1)[0])

    def _remember(self, key, make):
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def frame(self, which: str) -> dict:
        """An argument that is a fresh copy of ``spotify`` or ``artist_means``."""
        def make():
            table = self.spotify if which == "spotify" else self.artist_means
            self.inputs[which] = {"kind": "frame", **describe.frame(table)}
            return table
        self._remember(which, make)
        return {"input": which}

    def _draws(self, key: str, kind: str, wide: bool = True, scale: dict | None = None):
        summaries = dict(references()[kind])
        for name, factor in (scale or {}).items():
            summaries[name] = {k: v * factor for k, v in summaries[name].items()}
        return predict_check.stand_in_draws(summaries, self.artists, self._seed(key), wide=wide)

    def posterior(self, key: str, kind: str, wide: bool = True, scale: dict | None = None):
        """A stand-in posterior (see :func:`predict_check.stand_in_draws`), as the argument a
        probe passes (the probe makes it the ``xarray.DataTree`` ``pm.sample`` returns) and
        the grader's own copy of its draws."""
        def make():
            draws = self._draws(key, kind, wide, scale)
            self.inputs[key] = {"kind": "posterior", "draws": draws, "artists": self.artists,
                                "per_artist": [k for k, v in draws.items() if v.ndim == 3]}
            return draws
        return {"input": key}, self._remember(key, make)

    def predictions(self, key: str, kind: str, names: list[str]) -> tuple[dict, pd.DataFrame]:
        """Predictions made by the reference procedure on a stand-in posterior (plot input);
        only the predictions go to the probe, not the posterior behind them."""
        def make():
            draws = self._draws(f"{key}-posterior", kind)
            position = {a: i for i, a in enumerate(self.artists)}
            table = pd.DataFrame({
                a: predict_check.expected_predictive(draws, kind, position.get(a),
                                                     self._seed(f"{key}-{a}"))
                for a in names
            })
            self.inputs[key] = {"kind": "frame", **describe.frame(table)}
            return table
        return {"input": key}, self._remember(key, make)

    def model_points(self, kind: str) -> str:
        """Test points for ``kind``'s models; the name of the input holding them."""
        key = f"points-{kind}"

        def make():
            points = model_check.test_points(parameters(kind), self.artists,
                                             seed=self._seed(key))
            self.inputs[key] = {"values": points}
            return points
        self._remember(key, make)
        return key

    def made(self, key: str):
        return self._made[key]

    def seed_for(self, key: str) -> int:
        """A seed to pass to a student's function (plain int, fixed by this grading); give it a
        key of its own, never the key of an input it is used with."""
        return self._seed(key) % 2**31
