"""Check pooling weights: how much of each artist's hierarchical mean comes from its own songs.

Given the variances, the hierarchical model's mean for artist j is a precision-weighted average
of the artist's observed mean and the population mean mu,

    w_j = (n_j / sigma_y^2) / (n_j / sigma_y^2 + 1 / sigma_mu^2),

and the exercise asks for w_j computed for every posterior draw, summarised by its posterior
median. The expected values are computed here from the posterior the grader passes in, so a
correct function matches them to rounding; the tolerance only absorbs float differences and
median conventions.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from poolside.grading.feedback import GradingError

__all__ = ["expected_weights", "check_weights", "TOLERANCE"]

#: Absolute tolerance on a weight. On the grader's first posterior the usual slips miss by more:
#: standard deviations for variances by 0.013, the mean of the draws for their median by 0.005.
#: Weights computed once at the posterior medians of sigma_y and sigma_mu land within 0.0013 and
#: pass: w_j depends on the draws only through sigma_mu / sigma_y, monotonically, so its median
#: is nearly w_j at the medians (tests/test_pooling_check.py measures all three).
TOLERANCE = 0.002


def _weights(sigma_y, sigma_mu, counts, power=2.0) -> np.ndarray:
    """Weights per draw (rows) and artist (columns); ``power=1`` is the sd-for-variance slip."""
    data = np.asarray(counts, float)[None, :] / np.ravel(sigma_y)[:, None] ** power
    population = 1.0 / np.ravel(sigma_mu)[:, None] ** power
    return data / (data + population)


def expected_weights(sigma_y, sigma_mu, counts) -> np.ndarray:
    """Posterior median of every artist's pooling weight.

    Parameters
    ----------
    sigma_y, sigma_mu : array_like
        Posterior draws (any shape; flattened in the same order).
    counts : array_like
        Songs per artist.

    Returns
    -------
    numpy.ndarray
        One weight per artist, in the order of ``counts``.
    """
    return np.median(_weights(sigma_y, sigma_mu, counts), axis=0)


def _structure(table, artists: Sequence[str], what: str) -> pd.DataFrame:
    if table is None:
        raise GradingError(f"`{what}` returned None: return the DataFrame of weights.")
    if not isinstance(table, pd.DataFrame):
        raise GradingError(f"`{what}` should return a DataFrame, not `{type(table).__name__}`.")
    if not {"count", "weight"} <= set(map(str, table.columns)):
        raise GradingError(f"`{what}` should have the columns `count` and `weight`.")
    if [str(i) for i in table.index] != list(artists):
        raise GradingError(f"`{what}` should have one row per artist, indexed by artist, in the "
                           "order of `artist_means`.")
    values = table["weight"].to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise GradingError(f"`{what}` returned missing or infinite weights.")
    return table


def check_weights(table, artists: Sequence[str], counts, sigma_y, sigma_mu,
                  what: str = "pooling_weights", context: str = "") -> None:
    """Raise :class:`GradingError` unless ``table`` holds the asked-for weights.

    Parameters
    ----------
    table : DataFrame
        What the student's function returned for this posterior.
    artists : sequence of str
        Artists in the order of ``artist_means``.
    counts : array_like
        Songs per artist, same order.
    sigma_y, sigma_mu : array_like
        The posterior draws the function was given.
    what : str
        The function's name, for messages.
    context : str
        Appended to a message about the values (e.g. which posterior was passed).
    """
    table = _structure(table, artists, what)
    counts = np.asarray(counts, float)
    if not np.array_equal(table["count"].to_numpy(dtype=float), counts):
        raise GradingError(f"`{what}`: `count` should be each artist's number of songs.")
    got = table["weight"].to_numpy(dtype=float)
    if got.min() < 0 or got.max() > 1:
        raise GradingError(f"`{what}`: a pooling weight is a share of the artist's mean, so it "
                           "lies between 0 and 1.")
    order = np.argsort(counts, kind="stable")
    if np.any(np.diff(got[order]) < -TOLERANCE):
        raise GradingError(f"`{what}`: an artist with more songs should get a larger weight "
                           "(its own data are more informative). Check which part of the "
                           "formula belongs to the artist's own songs.")
    want = expected_weights(sigma_y, sigma_mu, counts)
    off = np.abs(got - want) > TOLERANCE
    if not off.any():
        return
    example = artists[int(np.argmax(np.abs(got - want)))]
    if np.allclose(got, np.median(_weights(sigma_y, sigma_mu, counts, power=1.0), axis=0),
                   atol=TOLERANCE):
        hint = "the formula uses variances, the squares of the standard deviations."
    elif np.allclose(got, _weights(sigma_y, sigma_mu, counts).mean(axis=0), atol=TOLERANCE):
        hint = "summarise each artist's draws by their median, not their mean."
    else:
        hint = ("compare your formula with the docstring's, and check that n_j is the artist's "
                "song count and that sigma_y and sigma_mu come from the posterior passed in.")
    raise GradingError(f"`{what}`: {off.sum()} of {len(off)} weights are off (for example "
                       f"{example}); {hint}{context}")
