"""Realistic mistakes each cost their own question, and correct variants cost nothing.

Every entry calls one hidden check (``autograder.checks``) with an ``env`` holding the
student's function or model, as Otter's ``env`` would: no notebook, no sampling. Mistakes are
the ones students make (plug-in predictions, a swapped sd, the wrong band, a bar of means);
variants are correct work written another way (other matplotlib primitives, pandas, xarray,
non-centred models, equivalent families).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pymc as pm
import pytest

from assignment.activity import load_spotify, prior_constants
from tests.project import REGISTRY as registry
from autograder.reading import QUESTION_OF
from poolside.grading.feedback import GradingError
from tests import project as paths

SPOTIFY, ARTIST_MEANS = load_spotify(paths.DATA)
PRIOR = prior_constants(SPOTIFY)
ARTISTS = [str(a) for a in ARTIST_MEANS["artist"]]


# ---------------------------------------------------------------- predictions

def _flat(idata, name):
    return idata.posterior[name].values.reshape(-1, *idata.posterior[name].shape[2:])


def complete(idata, artists, random_seed=84735, centre=None, noise=None):
    rng = np.random.default_rng(random_seed)
    mu, sigma = _flat(idata, "mu"), _flat(idata, "sigma")
    mu = mu if centre is None else centre(mu)
    sigma = sigma if noise is None else noise(sigma)
    return pd.DataFrame({a: rng.normal(mu, sigma) for a in artists})


def no_pooled(idata, artists, random_seed=84735, shift=0, plug_in=False):
    rng = np.random.default_rng(random_seed)
    names = [str(a) for a in idata.posterior["mu_j"].coords["artist"].values]
    unknown = [a for a in artists if a not in names]
    if unknown:
        raise ValueError(f"no mean for {unknown}")
    mu_j, sigma = _flat(idata, "mu_j"), _flat(idata, "sigma")
    out = {}
    for a in artists:
        centre = mu_j[:, (names.index(a) + shift) % len(names)]
        out[a] = rng.normal(centre.mean() if plug_in else centre, sigma)
    return pd.DataFrame(out)


def hierarchical(idata, artists, random_seed=84735, mistake=None):
    rng = np.random.default_rng(random_seed)
    p = {k: _flat(idata, k) for k in ("mu", "sigma_y", "sigma_mu", "mu_j")}
    if mistake == "plug-in":
        p = {k: v.mean(axis=0) * np.ones_like(v) for k, v in p.items()}
    names = [str(a) for a in idata.posterior["mu_j"].coords["artist"].values]
    out = {}
    for a in artists:
        if a in names and mistake != "population for all":
            centre, noise = p["mu_j"][:, names.index(a)], p["sigma_y"]
        elif mistake == "no artist layer":
            centre, noise = p["mu"], p["sigma_y"]
        elif mistake == "sigma_mu as song noise":
            centre, noise = rng.normal(p["mu"], p["sigma_mu"]), p["sigma_mu"]
        elif mistake == "no song noise for a new artist":
            centre, noise = rng.normal(p["mu"], p["sigma_mu"]), 0.0
        elif mistake == "sigma_y for both layers":
            centre, noise = rng.normal(p["mu"], p["sigma_y"]), p["sigma_y"]
        else:
            centre, noise = rng.normal(p["mu"], p["sigma_mu"]), p["sigma_y"]
        out[a] = rng.normal(centre, noise)
    return pd.DataFrame(out)


def hierarchical_xarray(idata, artists, random_seed=84735):
    """Correct, written with xarray: stack chains and draws, select artists by label."""
    rng = np.random.default_rng(random_seed)
    post = idata.posterior.ds.stack(sample=("chain", "draw"))
    known = set(post["mu_j"].coords["artist"].values.tolist())
    out = {}
    for a in artists:
        if a in known:
            centre = post["mu_j"].sel(artist=a).values
        else:
            centre = rng.normal(post["mu"].values, post["sigma_mu"].values)
        out[a] = rng.normal(centre, post["sigma_y"].values)
    return pd.DataFrame(out, columns=list(artists))


def complete_loop(idata, artists, random_seed=84735):
    """Correct, one draw at a time."""
    rng = np.random.default_rng(random_seed)
    mu, sigma = _flat(idata, "mu"), _flat(idata, "sigma")
    return pd.DataFrame({a: [rng.normal(m, s) for m, s in zip(mu, sigma)] for a in artists})


# ---------------------------------------------------------------- plots

def hist(spotify, **kwargs):
    fig, ax = plt.subplots()
    ax.hist(spotify["popularity"], bins=20, **kwargs)
    ax.set_xlabel("popularity")
    return ax


def hist_pandas(spotify):
    ax = spotify["popularity"].plot.hist(bins=15)
    ax.set_xlabel("popularity")
    return ax


def arviz_dist(kind, column="popularity"):
    """Correct, drawn by ArviZ: ``plot_dist`` of the column, its Axes returned."""
    def plot(data):
        import arviz as az

        posterior = {"posterior": {column: data[column].to_numpy()[None, :]}}
        collection = az.plot_dist(az.from_dict(posterior), kind=kind, backend="matplotlib")
        ax = collection.viz["plot"][column].item()
        ax.set_xlabel("popularity")
        return ax
    return plot


def hump(spotify, over_histogram=False):
    """A smooth curve over 0-100 drawn without the data (alone, or over a true histogram)."""
    ax = hist(spotify, density=True) if over_histogram else plt.subplots()[1]
    grid = np.linspace(0, 100, 200)
    ax.plot(grid, np.exp(-0.5 * ((grid - 50) / 20) ** 2) / (20 * np.sqrt(2 * np.pi)))
    ax.set_xlabel("popularity")
    return ax


def hist_with(extra):
    """A true histogram of the songs with the student's own extra on top."""
    def plot(spotify):
        ax = hist(spotify, density=True)
        x = spotify["popularity"].to_numpy(float)
        grid = np.linspace(0, 100, 200)
        if extra == "rug":
            ax.plot(x, np.zeros_like(x), "|")
        elif extra == "normal":
            ax.plot(grid, np.exp(-0.5 * ((grid - x.mean()) / x.std()) ** 2)
                    / (x.std() * np.sqrt(2 * np.pi)))
        return ax
    return plot


def hist_of_other_numbers(spotify):
    """As many numbers as songs, over the same range, but not the songs."""
    x = spotify["popularity"].to_numpy()
    return hist(pd.DataFrame({"popularity": np.random.default_rng(1).uniform(x.min(), x.max(),
                                                                            x.size)}))


def hist_first_100(spotify):
    return hist(spotify.head(100))


def hist_unlabelled(spotify):
    ax = hist(spotify)
    ax.set_xlabel("")
    return ax


def by_artist(spotify, kind="box", labels=True, orientation="horizontal"):
    names = [str(a) for a in spotify["artist"].cat.categories]
    groups = [spotify.loc[spotify["artist"] == a, "popularity"].to_numpy() for a in names]
    fig, ax = plt.subplots()
    if kind == "box":
        ax.boxplot(groups, orientation=orientation, tick_labels=names if labels else None)
    elif kind == "violin":
        ax.violinplot(groups, orientation=orientation)
        ticks = ax.set_yticks if orientation == "horizontal" else ax.set_xticks
        ticks(range(1, len(names) + 1), names)
    elif kind == "strip":
        rng = np.random.default_rng(0)
        for i, g in enumerate(groups):
            ax.scatter(g, i + rng.uniform(-0.2, 0.2, g.size), s=4)
        ax.set_yticks(range(len(names)), names)
    elif kind == "mean bars":
        ax.barh(names, [g.mean() for g in groups])
    (ax.set_xlabel if orientation == "horizontal" else ax.set_ylabel)("popularity")
    return ax


def line_per_artist(spotify):
    """One line across the whole scale per artist: labelled, and no song shown."""
    names = [str(a) for a in spotify["artist"].cat.categories]
    fig, ax = plt.subplots()
    for i in range(len(names)):
        ax.plot([0, 100], [i, i])
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("popularity")
    return ax


def segment_grid(predictions, artist_means):
    """Vertical segments for every (low, high) on a 0.9 grid, beside the true points: every
    interval is somewhere, none is drawn."""
    ax = intervals(predictions, artist_means)
    for coll in list(ax.collections):
        coll.remove()
    lows, highs = np.meshgrid(np.arange(-40, 100, 0.9), np.arange(0, 140, 0.9))
    ax.vlines(np.zeros(lows.size), lows.ravel(), highs.ravel())
    return ax


def dashed_every(step):
    """Dashed lines every ``step`` over the whole scale, beside true intervals."""
    def plot(hierarchical_predictions, artist_means, complete_predictions):
        ax = intervals(hierarchical_predictions, artist_means)
        for level in np.arange(40, 80, step):
            ax.axhline(level, linestyle="--")
        return ax
    return plot


def strip_grid(predictions):
    """Shaded strips for every (low, high) on a 2.9 grid under true curves."""
    ax = areas(predictions, shade=None)
    for lo in np.arange(-20, 110, 2.9):
        for hi in np.arange(lo + 2.9, 130, 2.9):
            ax.fill_between([lo, hi], 0, 0.01)
    return ax


def areas(predictions, prob=0.8, shade="fill_between", curves=True):
    fig, ax = plt.subplots()
    tail = (1 - prob) / 2
    for row, name in enumerate(predictions.columns):
        values = predictions[name].to_numpy()
        grid = np.linspace(values.min(), values.max(), 400)
        density = np.exp(-0.5 * ((grid - values.mean()) / values.std()) ** 2)
        height = row + 0.9 * density
        lo, hi = np.quantile(values, [tail, 1 - tail])
        inside = (grid >= lo) & (grid <= hi)
        if curves:
            ax.plot(grid, height)
        if shade == "fill_between":
            ax.fill_between(grid[inside], row, height[inside], alpha=0.3)
        elif shade == "fill":
            g = grid[inside]
            ax.fill(np.r_[g, g[::-1]], np.r_[height[inside], np.full(g.size, row)], alpha=0.3)
    ax.set_yticks(range(predictions.shape[1]), [str(c) for c in predictions.columns])
    ax.set_xlabel("popularity")
    return ax


def intervals(predictions, artist_means, prob=0.8, reference_line=None, style="vlines",
              observed=True, line_style="axhline"):
    names = [str(a) for a in artist_means["artist"]]
    tail = (1 - prob) / 2
    lo = predictions[names].quantile(tail).to_numpy()
    hi = predictions[names].quantile(1 - tail).to_numpy()
    x = np.arange(len(names))
    fig, ax = plt.subplots()
    if style == "vlines":
        ax.vlines(x, lo, hi)
    else:
        mid = (lo + hi) / 2
        ax.errorbar(x, mid, yerr=[mid - lo, hi - mid], fmt="none")
    if observed == "medians":
        ax.plot(x, predictions[names].median().to_numpy(), "o")
    elif observed:
        ax.plot(x, artist_means["popularity"].to_numpy(), "o")
    if reference_line is not None:
        if line_style == "axhline":
            ax.axhline(reference_line, linestyle="--")
        elif line_style == "hlines":
            ax.hlines(reference_line, x[0], x[-1], linestyles="dashed")
        elif line_style == "dotted":
            ax.axhline(reference_line, linestyle=":")
    ax.set_xticks(x, names, rotation=90)
    ax.set_ylabel("popularity")
    return ax


def hier_intervals(level_of=lambda c: float(np.median(c.to_numpy())), **kwargs):
    def plot(hierarchical_predictions, artist_means, complete_predictions):
        level = None if level_of is None else level_of(complete_predictions)
        return intervals(hierarchical_predictions, artist_means, reference_line=level, **kwargs)
    return plot


def shrinkage(artist_means, predictions, artists, sign=1, centre="median", count=None):
    means = artist_means.assign(artist=artist_means["artist"].astype(str)).set_index("artist")
    predicted = [getattr(predictions[a], centre)() for a in artists]
    table = pd.DataFrame({
        "count": count(predictions) if count else means.loc[artists, "count"].astype(int),
        "observed": means.loc[artists, "popularity"],
        "predicted": predicted,
    }, index=pd.Index(artists, name="artist"))
    table["shrinkage"] = sign * (table["observed"] - table["predicted"])
    return table


# ---------------------------------------------------------------- models

y = SPOTIFY["popularity"].to_numpy()
codes = SPOTIFY["artist"].cat.codes.to_numpy()


def complete_model(mu_scale=PRIOR["mu_scale"], sigma_rate=PRIOR["sigma_rate"], variance=False,
                   gamma=False, observed=y):
    with pm.Model() as model:
        mu = pm.Normal("mu", PRIOR["mu_loc"], mu_scale)
        sigma = (pm.Gamma("sigma", alpha=1.0, beta=sigma_rate) if gamma
                 else pm.Exponential("sigma", sigma_rate))
        pm.Normal("popularity", mu, sigma**2 if variance else sigma, observed=observed)
    return model


def no_pooled_model(shared_scale=False, use_shape=False):
    scale = PRIOR["artist_scale"].loc[ARTISTS].to_numpy()
    coords = {} if use_shape else {"artist": ARTISTS}
    with pm.Model(coords=coords) as model:
        kwargs = {"shape": len(ARTISTS)} if use_shape else {"dims": "artist"}
        mu_j = pm.Normal("mu_j", 0.0, PRIOR["mu_scale"] if shared_scale else scale, **kwargs)
        sigma = pm.Exponential("sigma", PRIOR["sigma_rate"])
        pm.Normal("popularity", mu_j[codes], sigma, observed=y)
    return model


#: s_y computed with numpy's default (ddof=0) instead of pandas' (ddof=1): 0.14% smaller.
NUMPY_SD = float(np.sqrt((len(y) - 1) / len(y)))


def hierarchical_model(mistake=None, offset=None, data_container=False):
    with pm.Model(coords={"artist": ARTISTS}) as model:
        near = NUMPY_SD if mistake == "numpy sd" else 1.0
        mu = pm.Normal("mu", PRIOR["mu_loc"], PRIOR["mu_scale"] * near)
        sigma_y = pm.Exponential("sigma_y", PRIOR["sigma_rate"] / near)
        tau = pm.Exponential("tau", PRIOR["sigma_rate"] if mistake == "tau rate" else 1.0)
        if mistake == "no tau":
            sigma_mu = pm.Deterministic("sigma_mu", tau)
        else:
            sigma_mu = pm.Deterministic("sigma_mu", tau * sigma_y)
        if offset:
            z = pm.Normal(offset, 0.0, 1.0, dims="artist")
            mu_j = pm.Deterministic("mu_j", mu + sigma_mu * z, dims="artist")
        else:
            mu_j = pm.Normal("mu_j", 0.0 if mistake == "zero centre" else mu, sigma_mu,
                             dims="artist")
        obs, idx = (y[:300], codes[:300]) if mistake == "subset" else (y, codes)
        if data_container:
            obs = pm.Data("popularity_data", obs)
        centre = mu if mistake == "songs around mu" else mu_j[idx]
        pm.Normal("popularity", centre, sigma_y, observed=obs)
    return model


# ---------------------------------------------------------------- the catalogue

#: The median of complete pooled predictions made from the real fit (the reference's mu).
OWN_COMPLETE_MEDIAN = 58.41

MISTAKES = {
    # name: (check, env)
    "q5 plug-in posterior means": ("q5_predictions", {"predict_complete_pooled": lambda i, a, random_seed=0: complete(i, a, random_seed, centre=lambda m: np.full_like(m, m.mean()), noise=lambda s: np.full_like(s, s.mean()))}),
    "q5 plug-in mean of mu only": ("q5_predictions", {"predict_complete_pooled": lambda i, a, random_seed=0: complete(i, a, random_seed, centre=lambda m: np.full_like(m, m.mean()))}),
    "q5 plug-in mean of sigma only": ("q5_predictions", {"predict_complete_pooled": lambda i, a, random_seed=0: complete(i, a, random_seed, noise=lambda s: np.full_like(s, s.mean()))}),
    "q5 no song noise": ("q5_predictions", {"predict_complete_pooled": lambda i, a, random_seed=0: complete(i, a, random_seed, noise=lambda s: np.zeros_like(s))}),
    "q5 sigma squared as the sd": ("q5_predictions", {"predict_complete_pooled": lambda i, a, random_seed=0: complete(i, a, random_seed, noise=lambda s: s**2)}),
    "q5 columns reversed": ("q5_predictions", {"predict_complete_pooled": lambda i, a, random_seed=0: complete(i, a[::-1], random_seed)}),
    "q5 one draw short": ("q5_predictions", {"predict_complete_pooled": lambda i, a, random_seed=0: complete(i, a, random_seed).iloc[1:]}),
    "q9 the neighbouring artist's mean": ("q9_predictions", {"predict_no_pooled": lambda i, a, random_seed=0: no_pooled(i, a, random_seed, shift=1)}),
    "q9 plug-in artist means": ("q9_predictions", {"predict_no_pooled": lambda i, a, random_seed=0: no_pooled(i, a, random_seed, plug_in=True)}),
    "q9 every artist refused, the unseen one named": ("q9_unseen_artist", {"predict_no_pooled": lambda i, a, random_seed=0: (_ for _ in ()).throw(KeyError(f"no mean for {a}"))}),
    "q9 unseen artist gets NaN": ("q9_unseen_artist", {"predict_no_pooled": lambda i, a, random_seed=0: pd.DataFrame({x: np.full(4000, np.nan) for x in a})}),
    "q13 sigma_mu as song noise": ("q13_predictions", {"predict_hierarchical": lambda i, a, random_seed=0: hierarchical(i, a, random_seed, "sigma_mu as song noise")}),
    "q13 no artist layer for a new artist": ("q13_predictions", {"predict_hierarchical": lambda i, a, random_seed=0: hierarchical(i, a, random_seed, "no artist layer")}),
    "q13 sigma_y for both layers": ("q13_predictions", {"predict_hierarchical": lambda i, a, random_seed=0: hierarchical(i, a, random_seed, "sigma_y for both layers")}),
    "q13 known artists drawn from the population": ("q13_predictions", {"predict_hierarchical": lambda i, a, random_seed=0: hierarchical(i, a, random_seed, "population for all")}),
    "q13 a new artist without song noise": ("q13_predictions", {"predict_hierarchical": lambda i, a, random_seed=0: hierarchical(i, a, random_seed, "no song noise for a new artist")}),
    "q13 plug-in posterior means": ("q13_predictions", {"predict_hierarchical": lambda i, a, random_seed=0: hierarchical(i, a, random_seed, "plug-in")}),
    "q5 areas shade the central 60%": ("q5_areas_plot", {"plot_predictive_areas": lambda p: areas(p, prob=0.6)}),
    "q5 areas without shading": ("q5_areas_plot", {"plot_predictive_areas": lambda p: areas(p, shade=None)}),
    "q5 areas without curves": ("q5_areas_plot", {"plot_predictive_areas": lambda p: areas(p, curves=False)}),
    "q5 intervals of 50%": ("q5_intervals_plot", {"plot_predictive_intervals": lambda p, m: intervals(p, m, prob=0.5)}),
    "q5 intervals with predictive medians as the points": ("q5_intervals_plot", {"plot_predictive_intervals": lambda p, m: intervals(p, m, observed="medians")}),
    "q11 non-centred with tau alone as the artist sd": ("check_model:hierarchical", lambda: hierarchical_model("no tau", offset="z")),
    "q5 intervals without observed means": ("q5_intervals_plot", {"plot_predictive_intervals": lambda p, m: intervals(p, m, observed=False)}),
    "q6 a bar of each artist's mean": ("q6_plot_by_artist", {"plot_popularity_by_artist": lambda s: by_artist(s, kind="mean bars")}),
    "q6 boxplot without artist labels": ("q6_plot_by_artist", {"plot_popularity_by_artist": lambda s: by_artist(s, labels=False)}),
    "q2 only the first 100 songs": ("q2_plot_popularity", {"plot_popularity": hist_first_100}),
    "q2 a smooth hump over 0-100 without the data": ("q2_plot_popularity", {"plot_popularity": hump}),
    "q2 a histogram of as many other numbers": ("q2_plot_popularity", {"plot_popularity": hist_of_other_numbers}),
    "q10 a smooth hump over 0-100 without the data": ("q10_plot_artist_means", {"plot_artist_means": hump}),
    "q6 one line across the scale per artist": ("q6_plot_by_artist", {"plot_popularity_by_artist": line_per_artist}),
    "q5 intervals as a grid of segments": ("q5_intervals_plot", {"plot_predictive_intervals": segment_grid}),
    "q14 a dashed line every 0.09": ("q14_plot", {"plot_hierarchical_intervals": dashed_every(0.09)}),
    "q5 areas as strips on a grid": ("q5_areas_plot", {"plot_predictive_areas": strip_grid}),
    "q2 no axis label": ("q2_plot_popularity", {"plot_popularity": hist_unlabelled}),
    "q10 songs instead of artist means": ("q10_plot_artist_means", {"plot_artist_means": lambda m: hist(SPOTIFY)}),
    "q2 a cumulative distribution (ECDF)": ("q2_plot_popularity", {"plot_popularity": arviz_dist("ecdf")}),
    "q10 half of the artists": ("q10_plot_artist_means", {"plot_artist_means": lambda m: hist(m.head(22))}),
    "q14 dashed line at the mean of artist means": ("q14_plot", {"plot_hierarchical_intervals": hier_intervals(level_of=lambda c: float(ARTIST_MEANS["popularity"].mean()))}),
    # The notebook's own complete pooled predictions (from the real fit) instead of the argument.
    "q14 dashed line from the notebook's predictions": ("q14_plot", {"plot_hierarchical_intervals": hier_intervals(level_of=lambda c: OWN_COMPLETE_MEDIAN)}),
    "q14 no dashed line": ("q14_plot", {"plot_hierarchical_intervals": hier_intervals(level_of=None)}),
    "q15b shrinkage with the wrong sign": ("q15b_table", {"shrinkage_table": lambda m, p, a: shrinkage(m, p, a, sign=-1)}),
    "q15b predicted as the mean": ("q15b_table", {"shrinkage_table": lambda m, p, a: shrinkage(m, p, a, centre="mean")}),
    "q15b rounded to one decimal": ("q15b_table", {"shrinkage_table": lambda m, p, a: shrinkage(m, p, a).round(1)}),
    "q15b count of predictions": ("q15b_table", {"shrinkage_table": lambda m, p, a: shrinkage(m, p, a, count=len)}),
    # Found by a student trial: the exercise's own pair whatever is asked for.
    "q15b the exercise's two artists, whatever is asked": ("q15b_table", {"shrinkage_table": lambda m, p, a: shrinkage(m, p, ["Sean Kingston", "Frank Ocean"])}),
    "q12 no pooled": ("q12_choice", {"q12": "no pooled"}),
    "q15a typical": ("q15a_choice", {"q15a": "typical"}),
    "q17 one answer swapped": ("q17_choices", {"q17_most_variable": "complete pooled", "q17_least_variable": "complete pooled", "q17_most_biased": "complete pooled", "q17_least_biased": "no pooled"}),
    "q3 prior scale of mu 10": ("check_model:complete_pooled", lambda: complete_model(mu_scale=10.0)),
    "q3 sigma rate 1": ("check_model:complete_pooled", lambda: complete_model(sigma_rate=1.0)),
    "q3 sd used as a variance": ("check_model:complete_pooled", lambda: complete_model(variance=True)),
    "q3 prior sd written as a variance": ("check_model:complete_pooled", lambda: complete_model(mu_scale=PRIOR["mu_scale"] ** 2)),
    "q11 songs drawn around mu": ("check_model:hierarchical", lambda: hierarchical_model("songs around mu")),
    "q11 priors from numpy's sd (0.14% off)": ("check_model:hierarchical", lambda: hierarchical_model("numpy sd")),
    "q3 half the songs observed": ("check_model:complete_pooled", lambda: complete_model(observed=y[:175])),
    "q7 one prior scale for every artist": ("check_model:no_pooled", lambda: no_pooled_model(shared_scale=True)),
    "q11 sigma_mu without sigma_y": ("check_model:hierarchical", lambda: hierarchical_model("no tau")),
    "q11 artist means centred on 0": ("check_model:hierarchical", lambda: hierarchical_model("zero centre")),
    "q11 tau with sigma_y's rate": ("check_model:hierarchical", lambda: hierarchical_model("tau rate")),
    "q11 observes 300 songs": ("check_model:hierarchical", lambda: hierarchical_model("subset")),
}

VARIANTS = {
    "q5 one draw at a time": ("q5_predictions", {"predict_complete_pooled": complete_loop}),
    "q9 reference style": ("q9_predictions", {"predict_no_pooled": no_pooled}),
    "q9 unseen artist raises naming it": ("q9_unseen_artist", {"predict_no_pooled": no_pooled}),
    "q13 numpy": ("q13_predictions", {"predict_hierarchical": hierarchical}),
    "q13 xarray stack and sel": ("q13_predictions", {"predict_hierarchical": hierarchical_xarray}),
    "q2 histtype step": ("q2_plot_popularity", {"plot_popularity": lambda s: hist(s, histtype="step")}),
    "q2 density": ("q2_plot_popularity", {"plot_popularity": lambda s: hist(s, density=True)}),
    "q2 rwidth 0.9": ("q2_plot_popularity", {"plot_popularity": lambda s: hist(s, rwidth=0.9)}),
    "q2 pandas": ("q2_plot_popularity", {"plot_popularity": hist_pandas}),
    "q2 ArviZ histogram": ("q2_plot_popularity", {"plot_popularity": arviz_dist("hist")}),
    "q2 ArviZ density": ("q2_plot_popularity", {"plot_popularity": arviz_dist("kde")}),
    "q10 ArviZ density": ("q10_plot_artist_means", {"plot_artist_means": arviz_dist("kde")}),
    "q2 a histogram with a rug": ("q2_plot_popularity", {"plot_popularity": hist_with("rug")}),
    "q2 a histogram with a fitted normal over it": ("q2_plot_popularity", {"plot_popularity": hist_with("normal")}),
    "q10 ArviZ histogram": ("q10_plot_artist_means", {"plot_artist_means": arviz_dist("hist")}),
    "q10 density of artist means": ("q10_plot_artist_means", {"plot_artist_means": lambda m: hist(m, density=True)}),
    "q10 step outline of artist means": ("q10_plot_artist_means", {"plot_artist_means": lambda m: hist(m, histtype="step")}),
    "q10 density, bars at 0.9 of their bins": ("q10_plot_artist_means", {"plot_artist_means": lambda m: hist(m, density=True, rwidth=0.9)}),
    "q6 horizontal boxplot": ("q6_plot_by_artist", {"plot_popularity_by_artist": by_artist}),
    "q6 vertical boxplot": ("q6_plot_by_artist", {"plot_popularity_by_artist": lambda s: by_artist(s, orientation="vertical")}),
    "q6 violins": ("q6_plot_by_artist", {"plot_popularity_by_artist": lambda s: by_artist(s, kind="violin")}),
    "q6 strip of songs": ("q6_plot_by_artist", {"plot_popularity_by_artist": lambda s: by_artist(s, kind="strip")}),
    "q5 areas with fill": ("q5_areas_plot", {"plot_predictive_areas": lambda p: areas(p, shade="fill")}),
    "q5 intervals as error bars": ("q5_intervals_plot", {"plot_predictive_intervals": lambda p, m: intervals(p, m, style="errorbar")}),
    "q14 dashed hlines": ("q14_plot", {"plot_hierarchical_intervals": hier_intervals(line_style="hlines")}),
    "q14 dotted axhline": ("q14_plot", {"plot_hierarchical_intervals": hier_intervals(line_style="dotted")}),
    "q15b rounded to two decimals": ("q15b_table", {"shrinkage_table": lambda m, p, a: shrinkage(m, p, a).round(2)}),
    "q15b reference style": ("q15b_table", {"shrinkage_table": shrinkage}),
    "q3 Gamma(1, rate) for Exp(rate)": ("check_model:complete_pooled", lambda: complete_model(gamma=True)),
    "q3 observed as a pandas Series": ("check_model:complete_pooled", lambda: complete_model(observed=SPOTIFY["popularity"])),
    "q7 shape instead of dims": ("check_model:no_pooled", lambda: no_pooled_model(use_shape=True)),
    "q11 non-centred, offset z": ("check_model:hierarchical", lambda: hierarchical_model(offset="z")),
    "q11 non-centred, offset eta": ("check_model:hierarchical", lambda: hierarchical_model(offset="eta")),
    "q11 observed through pm.Data": ("check_model:hierarchical", lambda: hierarchical_model(data_container=True)),
    "q17 the key": ("q17_choices", {"q17_most_variable": "no pooled", "q17_least_variable": "complete pooled", "q17_most_biased": "complete pooled", "q17_least_biased": "no pooled"}),
}


#: The catalogue's short names for the registry's test cases.
CASE = {
    "q2_plot_popularity": "the popularity plot counts every song and labels the axis",
    "q5_predictions": "complete pooled predictions are centred and spread as the model says",
    "q5_areas_plot": "the areas plot shades each artist's central 80%",
    "q5_intervals_plot": "the intervals plot shows every artist's interval and observed mean",
    "q6_plot_by_artist": "the by-artist plot shows every artist's whole distribution",
    "q9_unseen_artist": "the no pooled predictions refuse an unseen artist with a clear error",
    "q9_predictions": "no pooled predictions follow each artist's own mean",
    "q10_plot_artist_means": "the artist means plot counts every artist",
    "q12_choice": "q12 is answered correctly",
    "q13_predictions": "hierarchical predictions handle new and known artists",
    "q14_plot": "the hierarchical plot adds the complete pooled median, dashed",
    "q15a_choice": "q15a is answered correctly",
    "q15b_table": "the shrinkage table reports counts, means and shrinkage",
    "q17_choices": "the q17 answers are right",
}
MODEL_CASE = "the {} model has the priors and likelihood asked for"


def _run(check, env):
    if check.startswith("check_model:"):
        kind = check.split(":")[1]
        return registry.check(MODEL_CASE.format(kind.replace("_", " ")),
                              {f"{kind}_fit": (env(), None)})
    return registry.check(CASE[check], env)


@pytest.mark.parametrize("name", list(MISTAKES))
def test_a_realistic_mistake_costs_its_question(name):
    check, env = MISTAKES[name]
    with pytest.raises(GradingError):
        _run(check, env)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_correct_work_written_another_way_earns_the_question(name):
    check, env = VARIANTS[name]
    _run(check, env)


def test_the_catalogue_is_as_large_as_promised():
    checks = {check.split(":")[0] if ":" not in check else check for check, _ in MISTAKES.values()}
    assert len(MISTAKES) >= 40 and len(VARIANTS) >= 25, (len(MISTAKES), len(VARIANTS))
    assert len(checks) >= 15


def test_points_at_the_wrong_values_are_called_wrong_values_not_a_style_problem():
    check, env = MISTAKES["q5 intervals with predictive medians as the points"]
    with pytest.raises(GradingError, match="not at the artists' observed mean"):
        _run(check, env)


def test_a_near_miss_constant_is_named_with_how_far_off_it_is():
    check, env = MISTAKES["q11 priors from numpy's sd (0.14% off)"]
    with pytest.raises(GradingError, match=r"`mu`.*standard deviation is 51\.5\d*, not the "
                                           r"exercise's 51\.6\d* \(-0\.14%\)"):
        _run(check, env)


def test_a_non_centred_model_with_the_wrong_artist_sd_is_sent_to_how_the_means_are_built():
    check, env = MISTAKES["q11 non-centred with tau alone as the artist sd"]
    with pytest.raises(GradingError, match="non-centred"):
        _run(check, env)


# ---------------------------------------------------------------- the whole registry at once

#: Judged on a real fit only (provenance), so left out where the posterior is a stand-in.
_FIT_CASES = {c.name for c in registry.cases if "posterior comes from" in c.name}


def _questions_lost(env) -> set[str]:
    lost = set()
    for c in registry.cases:
        if c.name in _FIT_CASES:
            continue
        try:
            registry.check(c.name, env)
        except GradingError:
            lost.add(c.question)
    return lost


def _in_notebook(check, env) -> tuple[dict, str]:
    """The notebook variables an entry changes, and the question it belongs to."""
    if check.startswith("check_model:"):
        kind = check.split(":")[1]
        return {f"{kind}_fit": (env(), None)}, QUESTION_OF[kind]
    return env, registry.case(CASE[check]).question


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MISTAKES))
def test_a_mistake_costs_its_own_question_and_nothing_else(master_run, name):
    change, question = _in_notebook(*MISTAKES[name])
    assert _questions_lost({**master_run["end"], **change}) == {question}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(VARIANTS))
def test_a_variant_in_the_whole_notebook_loses_nothing(master_run, name):
    change, _ = _in_notebook(*VARIANTS[name])
    assert _questions_lost({**master_run["end"], **change}) == set()
