"""Judge a prediction function's output against the predictive each posterior draw implies.

Given, for every posterior draw, the centre and the standard deviation of the song the model
predicts (numbers the caller works out from the posterior it passed), a correct function's
predictions are each drawn from N(centre, sd): they are centred and spread as those draws say,
and standardised by them they are N(0, 1), trending with nothing. The hidden checks call these
verdicts on the grader's stand-in posteriors, the public checks on a posterior stored next to
the notebook (numbers only, see public_checks.py).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from poolside.grading.feedback import GradingError

__all__ = ["require_predictions", "check_predicted", "check_centre", "check_follows_draws",
           "CHAINS", "DRAWS"]

#: Chains and draws of the posteriors the checks pass: the spread of a new song is judged
#: to 1/sqrt(2 * 4000) of itself.
CHAINS, DRAWS = 2, 2000
# Predictive draws are close to independent; their median's MCSE is about 1.25 sd / sqrt(n).
Z = 5.0
# Predictions are compared with a numpy reference computed from the same stand-in posterior
# but different random numbers; 3% of the predictive sd covers the difference between
# median definitions on top of Z standard errors.
SD_FLOOR = 0.03

# Each prediction, standardised by its own draw's parameters, z = (pred - centre) / sd, is N(0, 1)
# whatever the draw when the function uses each draw's parameters. So neither z nor |z| may
# trend with the draw's centre or sd: the slopes of z on the centre and of |z| on the sd are
# judged against their own standard error (valid here: the residuals are i.i.d.), and a correct
# function is more than SLOPE_Z of them away with probability about 1e-6. A plug-in of
# posterior means makes z fall with the centre, or |z| with the sd, by more than 8 of them.
SLOPE_Z = 5.0



def require_predictions(predictions, artists: Sequence[str], n_draws: int,
                        what: str) -> pd.DataFrame:
    """The DataFrame of predictions: one column per artist asked for, one row per draw."""
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


def check_predicted(values, centre: np.ndarray, sd: np.ndarray, seed: int, what: str,
                    label: str) -> None:
    """``values`` are predictions drawn, draw by draw, from N(centre, sd): centred where the
    predictive is (against a simulation of it with ``seed``), as spread, and following each
    draw."""
    values = np.asarray(values, float)
    expected = np.random.default_rng(seed).normal(centre, sd)
    check_centre(values, float(np.median(expected)), float(expected.std()), what, label)
    spread, want = values.std(), expected.std()
    if not 0.9 < spread / want < 1.1:
        raise GradingError(f"`{what}`: the predictions for {label} are "
                           f"{'too spread out' if spread > want else 'too narrow'} for "
                           "this model: check which standard deviations each simulated "
                           "song passes through.")
    check_follows_draws(values, centre, sd, what, label)


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
