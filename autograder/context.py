"""This assignment's grading context: the Spotify data, the references, and the inputs its
probes are given (stand-in posteriors, predictions to plot, test points for the models), made
afresh for each grading from the grader's seed (:class:`poolside.grading.context.Context`)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pandas as pd

from poolside.grading import model_check
from poolside.grading.assignment import load
from poolside.grading.context import Context

from . import predict_check

try:  # the notebook imports activity.py as a top-level module, and so does grading
    from activity import load_spotify
except ImportError:  # imported from the repository without the assignment activated
    from assignment.activity import load_spotify

from solutions.models import parameters

__all__ = ["Grading", "data", "references", "ASSIGNMENT"]

#: This assignment, read from the poolside.toml of the folder this package sits in (the
#: repository, or the files of autograder.zip).
ASSIGNMENT = load(Path(__file__).resolve().parents[1])


@lru_cache(maxsize=1)
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    return load_spotify(ASSIGNMENT.data[0])


@lru_cache(maxsize=1)
def references() -> dict:
    return json.loads(ASSIGNMENT.references.read_text(encoding="utf-8"))["summaries"]


class Grading(Context):
    """This assignment's inputs: the Spotify data, stand-in posteriors, predictions to plot and
    test points for the models (see :class:`poolside.grading.context.Context`)."""

    def __init__(self, seed: int | None = None):
        super().__init__(seed)
        self.spotify, self.artist_means = data()
        self.artists = [str(a) for a in self.artist_means["artist"]]
        self.inputs["artists"] = list(self.artists)

    def frame(self, which: str) -> dict:
        """An argument that is a fresh copy of ``spotify`` or ``artist_means``."""
        return self.table(which, lambda: self.spotify if which == "spotify" else self.artist_means)

    def _draws(self, key: str, kind: str, wide: bool = True, scale: dict | None = None,
               shift: dict | None = None):
        summaries = dict(references()[kind])
        for name, factor in (scale or {}).items():
            summaries[name] = {k: v * factor for k, v in summaries[name].items()}
        for name, offset in (shift or {}).items():
            summaries[name] = {**summaries[name], "median": summaries[name]["median"] + offset}
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

    def predictions(self, key: str, kind: str, names: list[str],
                    shift: dict | None = None) -> tuple[dict, pd.DataFrame]:
        """Predictions made by the reference procedure on a stand-in posterior (plot input);
        only the predictions go to the probe, not the posterior behind them. ``shift`` moves
        location parameters of the stand-in by the given amounts."""
        def make():
            draws = self._draws(f"{key}-posterior", kind, shift=shift)
            position = {a: i for i, a in enumerate(self.artists)}
            table = pd.DataFrame({
                a: predict_check.expected_predictive(draws, kind, position.get(a),
                                                     self._seed(f"{key}-{a}"))
                for a in names
            })
            return table
        return self.table(key, make), self.made(key)

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
