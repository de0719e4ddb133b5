"""Ready-made helpers for the Spotify hierarchical-model assignment.

This file ships next to the student notebook. It loads the data the way the activity does,
writes down rstanarm's default prior constants, and summarises a posterior like
``broom.mixed::tidy(..., conf.level = 0.8)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["load_spotify", "prior_constants", "tidy", "compare_predictions", "plot_shrinkage",
           "NEW_ARTIST"]

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
    import arviz as az  # here, not above: loading the data should not need ArviZ

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


def compare_predictions(artist_means: pd.DataFrame,
                        predictions: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each artist's predictive median under every model, side by side with the song count.

    Parameters
    ----------
    artist_means : DataFrame
        ``artist``, ``count``, ``popularity``, as :func:`load_spotify` returns it.
    predictions : dict of str to DataFrame
        Model name -> predictions (one column per artist, one row per draw), e.g.
        ``{"complete pooled": ..., "no pooled": ..., "hierarchical": ...}``.

    Returns
    -------
    DataFrame
        Indexed by artist in the order of ``artist_means``: ``count``, ``observed`` (mean
        popularity), one column per model (median prediction) and, when both are given,
        ``pulled`` = no pooled minus hierarchical: how far partial pooling moved the artist.
    """
    names = [str(a) for a in artist_means["artist"]]
    table = pd.DataFrame({"count": artist_means["count"].to_numpy(),
                          "observed": artist_means["popularity"].to_numpy()},
                         index=pd.Index(names, name="artist"))
    for model, draws in predictions.items():
        table[model] = draws[names].median().to_numpy()
    if {"no pooled", "hierarchical"} <= set(predictions):
        table["pulled"] = table["no pooled"] - table["hierarchical"]
    return table


def plot_shrinkage(table: pd.DataFrame, population_mean: float | None = None):
    """Draw :func:`compare_predictions`' table: where partial pooling moves each artist.

    ``table`` needs the columns ``complete pooled``, ``no pooled`` and ``hierarchical``.

    Top: an arrow per artist from its no pooled to its hierarchical predictive median, the
    complete pooled median dashed and, if given, the hierarchical model's population mean
    dotted. Bottom: how far each artist moved. Tick labels carry each artist's song count.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        The two axes.
    """
    import matplotlib.pyplot as plt

    x = np.arange(len(table))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True,
                                      gridspec_kw={"height_ratios": [2, 1]})
    top.axhline(table["complete pooled"].median(), linestyle="--", color="gray",
                label="complete pooled")
    if population_mean is not None:
        top.axhline(population_mean, linestyle=":", color="tab:green",
                    label="hierarchical: mean of artists, $\\mu$")
    top.scatter(x, table["no pooled"], facecolors="none", edgecolors="black", s=20,
                label="no pooled")
    top.scatter(x, table["hierarchical"], color="tab:blue", s=20, label="hierarchical")
    for xi, start, end in zip(x, table["no pooled"], table["hierarchical"]):
        if abs(end - start) < 1:  # an arrowhead longer than its arrow only adds clutter
            continue
        top.annotate("", xy=(xi, end), xytext=(xi, start),
                     arrowprops={"arrowstyle": "->", "color": "tab:blue", "lw": 1})
    top.set_ylabel("predictive median")
    top.legend(loc="upper left", fontsize="small")
    bottom.bar(x, table["pulled"], color=np.where(table["count"] <= 5, "tab:red", "tab:gray"))
    bottom.axhline(0, color="black", lw=0.5)
    bottom.set_ylabel("no pooled minus\nhierarchical")
    bottom.set_xticks(x, [f"{a} ({n})" for a, n in zip(table.index, table["count"])],
                      rotation=90, fontsize="small")
    bottom.set_title("red: artists with 5 songs or fewer (song counts in brackets)",
                     fontsize="small", loc="left")
    fig.tight_layout()
    return np.array([top, bottom])
