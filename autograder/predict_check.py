"""Check posterior predictive functions on a posterior the autograder controls.

A student's prediction function is called on a stand-in posterior built from the stored
reference summaries (normal approximations, fixed seed), so its grade does not depend on
whether their own fit was right, and the expected answer is known.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from poolside.grading.feedback import GradingError

__all__ = ["stand_in_draws", "stand_in_posterior", "as_posterior", "require_predictions", "check_centre", "expected_predictive",
           "draw_parameters", "check_follows_draws"]

CHAINS, DRAWS = 2, 2000
# Predictive draws are close to independent; their median's MCSE is about 1.25 sd / sqrt(n).
Z = 5.0
# Predictions are compared with a numpy reference computed from the same stand-in posterior
# but different random numbers; 3% of the predictive sd covers the difference between
# median definitions on top of Z standard errors.
SD_FLOOR = 0.03

# The stand-in is not the real posterior: it is built so that every plausible wrong formula
# moves the predictions measurably. Location parameters spread with sd LOCATION_SD, and scales
# by a factor exp(N(0, SCALE_LOG_SD)) around their centre (the real posterior's spreads, 1 to 7
# points, are too small next to song noise of about 14 to tell a prediction that follows each
# draw from one that plugs in a posterior mean; a proportional spread keeps scales positive and
# spreads a new artist's predictive sd as much as a song's).
LOCATION_SD = 10.0
SCALE_LOG_SD = 0.3
#
# The hierarchical scales are moved apart (SCALE_FACTORS times their medians: sigma_mu about 30,
# sigma_y about 21), so that every plausible wrong formula for a new artist is off by more than
# the 10% the spread check allows. A new artist's predictive variance is var(mu) + sigma_mu^2 +
# sigma_y^2, about 100 + 1060 + 530 here; leaving out the song noise gives sd 0.83 of the right
# one, leaving out the artist layer 0.61, sigma_y for both layers 0.83, sigma_mu for both 1.15.
# (On the real posterior the two scales are nearly equal, and with sigma_mu tripled alone the
# song noise was 5% of the sd, inside the band: a prediction without it passed.)
SCALE_FACTORS = {"sigma_mu": 2.0, "sigma_y": 1.5}
# Each prediction, standardised by its own draw's parameters, z = (pred - centre) / sd, is N(0, 1)
# whatever the draw when the function uses each draw's parameters. So neither z nor |z| may
# trend with the draw's centre or sd: the slopes of z on the centre and of |z| on the sd are
# judged against their own standard error (valid here: the residuals are i.i.d.), and a correct
# function is more than SLOPE_Z of them away with probability about 1e-6. A plug-in of
# posterior means makes z fall with the centre, or |z| with the sd, by more than 8 of them.
SLOPE_Z = 5.0


def stand_in_posterior(summaries: Mapping[str, Mapping[str, float]], artists: Sequence[str],
                       seed: int, wide: bool = True):
    """:func:`stand_in_draws` as a posterior (``xarray.DataTree``, as ``pm.sample`` returns)."""
    return as_posterior(stand_in_draws(summaries, artists, seed, wide), artists)


def as_posterior(draws: Mapping[str, np.ndarray], artists: Sequence[str]):
    """Draws ``(chain, draw[, artist])`` as an ``xarray.DataTree`` with an ``artist`` dim."""
    import arviz as az

    dims = {name: ["artist"] for name, value in draws.items() if np.ndim(value) == 3}
    return az.from_dict({"posterior": dict(draws)}, coords={"artist": list(artists)}, dims=dims)


def stand_in_draws(summaries: Mapping[str, Mapping[str, float]], artists: Sequence[str],
                   seed: int, wide: bool = True) -> dict[str, np.ndarray]:
    """Posterior draws centred on the reference medians, shaped ``(chain, draw)`` or
    ``(chain, draw, artist)`` as ``pm.sample`` gives.

    ``wide`` (for prediction checks) spreads it on purpose (see :data:`LOCATION_SD`);
    otherwise each parameter follows N(median, mad_sd), close to the real posterior. Scales
    are folded to stay positive."""
    rng = np.random.default_rng(seed)
    scalars, vectors = {}, {}
    for key, s in summaries.items():
        name, _, label = key.partition("[")
        if not wide:
            draws = rng.normal(s["median"], s["mad_sd"], size=(CHAINS, DRAWS))
            draws = np.abs(draws) if name.startswith("sigma") else draws
        elif name.startswith("sigma"):
            centre = s["median"] * SCALE_FACTORS.get(name, 1.0)
            draws = centre * np.exp(rng.normal(0.0, SCALE_LOG_SD, size=(CHAINS, DRAWS)))
        else:
            draws = rng.normal(s["median"], LOCATION_SD, size=(CHAINS, DRAWS))
        if label:
            vectors.setdefault(name, {})[label.rstrip("]")] = draws
        else:
            scalars[name] = draws
    posterior = dict(scalars)
    for name, by_artist in vectors.items():
        posterior[name] = np.stack([by_artist[a] for a in artists], axis=-1)
    return posterior


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


def draw_parameters(posterior_draws: Mapping[str, np.ndarray], kind: str, artist_index
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Per draw, the predictive's centre and its sd given that centre's own draw.

    For an artist in the data the centre is the artist's mean and the sd the song noise; for a
    new artist under the hierarchical model the centre is mu and the sd combines the artist
    layer and song noise, sqrt(sigma_mu^2 + sigma_y^2).
    """
    p = {k: np.asarray(v).reshape(-1, *np.shape(v)[2:]) for k, v in posterior_draws.items()}
    if kind == "complete_pooled":
        return p["mu"], p["sigma"]
    if kind == "no_pooled":
        return p["mu_j"][:, artist_index], p["sigma"]
    if artist_index is None:
        return p["mu"], np.hypot(p["sigma_mu"], p["sigma_y"])
    return p["mu_j"][:, artist_index], p["sigma_y"]


def expected_predictive(posterior_draws: Mapping[str, np.ndarray], kind: str, artist_index,
                        seed: int) -> np.ndarray:
    """Reference predictive draws for one artist (``artist_index=None`` for a new artist)."""
    rng = np.random.default_rng(seed)
    centre, sd = draw_parameters(posterior_draws, kind, artist_index)
    return rng.normal(centre, sd)


def _slope(y: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """Least-squares slope of ``y`` on ``x`` and its standard error."""
    x = x - x.mean()
    y = y - y.mean()
    slope = float(np.dot(x, y) / np.dot(x, x))
    residual = y - slope * x
    se = float(np.sqrt(np.dot(residual, residual) / (len(y) - 2) / np.dot(x, x)))
    return slope, se


def _trends(y: np.ndarray, x: np.ndarray) -> bool:
    """Whether ``y`` trends with ``x`` beyond SLOPE_Z standard errors."""
    slope, se = _slope(y, x)
    return not np.isfinite(slope) or abs(slope) > SLOPE_Z * se


def check_follows_draws(values: np.ndarray, centre: np.ndarray, sd: np.ndarray, what: str,
                        label: str) -> None:
    """Each prediction uses its own draw's parameters: standardised by them, predictions are
    N(0, 1) and trend neither with the draw's centre nor with its sd. A prediction made from
    posterior means does one or the other."""
    z = (np.asarray(values, float) - centre) / sd
    # Standardised by the right parameters, the predictions are exactly N(0, 1), whatever the
    # posterior: their sd is 1 within Z standard errors (1 / sqrt(2n)). A song noise or an
    # artist layer left out, or one sd used for both layers, moves it by 15% or more on the
    # stand-in (see SCALE_FACTORS), which is over ten standard errors.
    spread = float(np.std(z))
    if abs(spread - 1.0) > Z / np.sqrt(2 * z.size):
        raise GradingError(
            f"`{what}`: the predictions for {label} are "
            f"{'too spread out' if spread > 1 else 'too narrow'} for this model: check which "
            "standard deviations each simulated song passes through, draw by draw."
        )
    if _trends(z, centre):
        raise GradingError(
            f"`{what}`: the predictions for {label} do not move with the posterior draws of "
            "that artist's mean: prediction i should be simulated from draw i's parameters, "
            "not from a single summary of the posterior."
        )
    if _trends(np.abs(z), sd):
        raise GradingError(
            f"`{what}`: the song-to-song noise in the predictions for {label} does not follow "
            "each posterior draw's standard deviation: look at which sd each simulated song "
            "uses, draw by draw."
        )
