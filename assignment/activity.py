"""Ready-made helpers for the Spotify hierarchical-model assignment.

This file ships next to the student notebook. It loads the data the way the activity does,
writes down rstanarm's default prior constants, and summarises a posterior like
``broom.mixed::tidy(..., conf.level = 0.8)``.
"""

from __future__ import annotations

from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd

__all__ = ["load_spotify", "prior_constants", "tidy", "NEW_ARTIST"]

#: An artist that is not in the data: the activity's example of predicting for a new group.
NEW_ARTIST = "Macalester Beats"

# MAD of a normal sample is 0.6745 sd; rstanarm reports MAD rescaled to the sd's scale.
_MAD_TO_SD = 1.482602218505602


def load_spotify(path: str | Path = "spotify.csv") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load the songs and the per-artist means.

    Parameters
    ----------
    path : str or Path
        The ``spotify.csv`` file.

    Returns
    -------
    spotify : DataFrame
        Columns ``artist``, ``title``, ``popularity``; one row per song, in file order.
        ``artist`` is an ordered categorical whose categories run from the lowest to the highest
        mean popularity, so ``spotify.artist.cat.codes`` indexes artists in that order.
    artist_means : DataFrame
        Columns ``artist``, ``count``, ``popularity`` (mean popularity), one row per artist in
        the same order as the categories.
    """
    raw = pd.read_csv(path)
    missing = {"artist", "title", "popularity"} - set(raw.columns)
    if missing:
        raise ValueError(f"{path} lacks the columns {sorted(missing)}")
    spotify = raw[["artist", "title", "popularity"]].copy()
    spotify["popularity"] = spotify["popularity"].astype(float)
    # Sorting alphabetically first makes ties in mean popularity break the way R's
    # fct_reorder does (stable sort over alphabetical levels).
    means = spotify.groupby("artist")["popularity"].mean().sort_index()
    order = means.sort_values(kind="stable").index
    spotify["artist"] = pd.Categorical(spotify["artist"], categories=order, ordered=True)
    artist_means = (
        spotify.groupby("artist", observed=True)["popularity"]
        .agg(count="size", popularity="mean")
        .reset_index()
    )
    artist_means["count"] = artist_means["count"].astype(int)
    return spotify, artist_means


def prior_constants(spotify: pd.DataFrame) -> dict[str, object]:
    """rstanarm's default prior constants for this data.

    Parameters
    ----------
    spotify : DataFrame
        The songs, as returned by :func:`load_spotify`.

    Returns
    -------
    dict
        ``mu_loc`` = mean(y) and ``mu_scale`` = 2.5 sd(y), the intercept's normal prior;
        ``sigma_rate`` = 1 / sd(y), the exponential prior's rate on a standard deviation;
        ``artist_scale``, a Series indexed by artist: 2.5 sd(y) / sd(indicator of the artist),
        the no pooled model's prior scale for each artist's mean (prior location 0).
        Standard deviations use the n - 1 denominator, as R's ``sd`` does.
    """
    y = spotify["popularity"].to_numpy(float)
    sd_y = float(np.std(y, ddof=1))
    indicators = pd.get_dummies(spotify["artist"]).astype(float)
    artist_scale = 2.5 * sd_y / indicators.std(ddof=1)
    artist_scale.index = artist_scale.index.astype(str)
    return {
        "mu_loc": float(y.mean()),
        "mu_scale": 2.5 * sd_y,
        "sigma_rate": 1.0 / sd_y,
        "artist_scale": artist_scale,
    }


def tidy(idata, var_names: list[str] | None = None) -> pd.DataFrame:
    """Median-based posterior summary with an 80% interval.

    Parameters
    ----------
    idata : xarray.DataTree
        A fitted posterior, as ``pm.sample`` returns it.
    var_names : list of str, optional
        Variables to summarise; all posterior variables by default.

    Returns
    -------
    DataFrame
        One row per scalar parameter (``mu_j[Mia X]`` for vector ones) with columns
        ``median``, ``mad_sd`` (MAD rescaled to the sd's scale, rstanarm's "std.error"),
        ``q10`` and ``q90`` (the central 80% interval), ``mcse_median``, ``ess_median`` and
        ``r_hat``.
    """
    summary = az.summary(idata, var_names=var_names, kind="all_median", ci_prob=0.8,
                         round_to="none")
    return pd.DataFrame(
        {
            "median": summary["median"],
            "mad_sd": summary["mad"] * _MAD_TO_SD,
            "q10": summary["eti80_lb"],
            "q90": summary["eti80_ub"],
            "mcse_median": summary["mcse_median"],
            "ess_median": summary["ess_median"],
            "r_hat": summary["r_hat"],
        }
    )
