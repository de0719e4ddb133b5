"""Check posterior predictive functions on a posterior the autograder controls.

A student's prediction function is called on a stand-in posterior built from the stored
reference summaries (normal approximations, fixed seed), so its grade does not depend on
whether their own fit was right, and the expected answer is known.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from .feedback import GradingError

__all__ = ["stand_in_posterior", "require_predictions", "check_centre", "expected_predictive"]

CHAINS, DRAWS = 2, 2000
# Predictive draws are close to independent; their median's MCSE is about 1.25 sd / sqrt(n).
Z = 5.0
# Predictions are compared with a numpy reference computed from the same stand-in posterior
# but different random numbers; 3% of the predictive sd covers the difference between
# median definitions on top of Z standard errors.
SD_FLOOR = 0.03


def stand_in_posterior(summaries: Mapping[str, Mapping[str, float]], artists: Sequence[str],
                       seed: int) -> xr.DataTree:
    """A posterior (``xarray.DataTree``, as ``pm.sample`` returns) whose draws follow N(median, mad_sd) per parameter (positive ones
    folded), with dims ``(chain, draw)`` or ``(chain, draw, artist)`` as ``pm.sample`` gives."""
    rng = np.random.default_rng(seed)
    scalars, vectors = {}, {}
    for key, s in summaries.items():
        name, _, label = key.partition("[")
        draws = np.abs(rng.normal(s["median"], s["mad_sd"], size=(CHAINS, DRAWS))) \
            if name.startswith("sigma") else rng.normal(s["median"], s["mad_sd"], (CHAINS, DRAWS))
        if label:
            vectors.setdefault(name, {})[label.rstrip("]")] = draws
        else:
            scalars[name] = draws
    posterior = dict(scalars)
    for name, by_artist in vectors.items():
        posterior[name] = np.stack([by_artist[a] for a in artists], axis=-1)
    dims = {name: ["artist"] for name in vectors}
    return az.from_dict({"posterior": posterior}, coords={"artist": list(artists)}, dims=dims)


def require_predictions(predictions, artists: Sequence[str], n_draws: int, what: str) -> pd.DataFrame:
    if predictions is None:
        raise GradingError(f"`{what}` returned None: finish the function and return the "
                           "DataFrame of predictions.")
    if not isinstance(predictions, pd.DataFrame):
        raise GradingError(f"`{what}` should return a pandas DataFrame with one column per "
                           f"artist, not `{type(predictions).__name__}`.")
    columns = [str(c) for c in predictions.columns]
    if columns != [str(a) for a in artists]:
        raise GradingError(f"`{what}` should return one column per requested artist, named "
                           "after the artist and in the order requested.")
    if len(predictions) != n_draws:
        raise GradingError(f"`{what}` should return one predictive draw per posterior draw "
                           f"({n_draws} rows for this posterior), got {len(predictions)}.")
    if not np.isfinite(predictions.to_numpy(dtype=float)).all():
        raise GradingError(f"`{what}` returned missing or infinite predictions.")
    return predictions


def check_centre(values: np.ndarray, expected_median: float, predictive_sd: float,
                 what: str, label: str) -> None:
    """The predictive median matches the expected one within Monte Carlo error."""
    n = values.size
    band = Z * np.sqrt(2) * 1.2533 * predictive_sd / np.sqrt(n) + SD_FLOOR * predictive_sd
    if abs(np.median(values) - expected_median) > band:
        raise GradingError(
            f"`{what}`: the predictions for {label} are not centred where this model puts "
            "them. Each draw should use that posterior draw's parameters plus song-to-song "
            "noise."
        )


def expected_predictive(posterior_draws: Mapping[str, np.ndarray], kind: str, artist_index,
                        seed: int) -> np.ndarray:
    """Reference predictive draws for one artist (``artist_index=None`` for a new artist)."""
    rng = np.random.default_rng(seed)
    p = {k: np.asarray(v).reshape(-1, *np.shape(v)[2:]) for k, v in posterior_draws.items()}
    if kind == "complete_pooled":
        centre, noise = p["mu"], p["sigma"]
    elif kind == "no_pooled":
        centre, noise = p["mu_j"][:, artist_index], p["sigma"]
    elif artist_index is None:
        centre, noise = rng.normal(p["mu"], p["sigma_mu"]), p["sigma_y"]
    else:
        centre, noise = p["mu_j"][:, artist_index], p["sigma_y"]
    return rng.normal(centre, noise)
