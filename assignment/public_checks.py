"""What this notebook's public checks run, in your own kernel, with the autograder's own code.

The `poolside` folder next to this notebook is the autograder's checking code; no answers are
in it. The hidden checks judge your functions with the verdicts written here, on inputs the
grader makes for each submission; the public checks use the same verdicts on inputs made
here, so a check that passes in the notebook means what it says after you submit:

* a model is compared with the model its exercise describes by its log-density at fixed test
  values, term by term (each prior, then the likelihood); ``public_models.json`` holds those
  values and the log-densities the exercise's model has there, numbers only;
* a plot is read as the grader reads it (what its Axes draw) and held to what its docstring
  lists under "Checked:"; your plotting function is called again on predictions made here,
  so a plot of its arguments is checked, not of the notebook's variables;
* the shrinkage table and the pooling weights are checked as their docstrings define them, on
  predictions and posteriors made here.

What cannot be checked here (whether a fit agrees with the reference fit, predictions against
what the model predicts, the multiple-choice answers) is checked after you submit; the checks'
messages say so.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from poolside.grading import model_check, plot_check
from poolside.grading.feedback import GradingError
from poolside.grading.sandboxed import describe, probes, wire

try:  # next to the notebook, as students and the grader import it
    import pooling_check
    import prediction_check
except ImportError:  # from the repository
    from assignment import pooling_check, prediction_check

__all__ = ["model_is_as_described", "plot_is_as_described", "table_is_as_described",
           "predictions_are_as_described", "check_new_artist_wider",
           "check_distribution_plot", "check_by_artist_plot", "check_intervals_plot",
           "check_areas_plot", "check_hierarchical_plot", "check_shrinkage_table",
           "check_pooling_weights",
           "axes_of", "table_of", "WHAT", "WORDING"]

#: How feedback names each model.
WHAT = {
    "complete_pooled": "complete pooled model",
    "no_pooled": "no pooled model",
    "hierarchical": "hierarchical model",
}
#: How the model checks' feedback names this assignment's data.
WORDING = model_check.Wording(
    data="the song popularities", each_value="the popularity of every song",
    all_values="the popularity of all {n} songs", group="artist",
    likelihood_of="the songs' popularity",
    likelihood_hint=("Check which mean each song gets and that the second argument of "
                     "`pm.Normal` is a standard deviation."),
    noncentred_hint=("Your model is non-centred: check how each artist's mean is built from "
                     "`mu`, the artist-level sd and the offset `{open}`, then which mean each "
                     "song gets."))

EXPECTED = Path(__file__).with_name("public_models.json")
POSTERIORS = Path(__file__).with_name("public_posteriors.npz")


@lru_cache(maxsize=1)
def _expected() -> dict:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


def model_is_as_described(fit, kind: str) -> None:
    """Raise AssertionError unless ``fit[0]`` is the model exercise ``kind`` describes.

    Parameters
    ----------
    fit : tuple
        What the exercise's ``fit_...`` function returned: ``(model, idata)``.
    kind : str
        ``"complete_pooled"``, ``"no_pooled"`` or ``"hierarchical"``.
    """
    what = WHAT[kind]
    if not (isinstance(fit, tuple) and len(fit) == 2):
        raise AssertionError(f"The {what}'s function should return a tuple (model, idata).")
    data = _expected()[kind]
    candidates, points = model_check.stored_candidates(data)
    described = describe.model(fit[0], points, data["artists"])
    try:
        model_check.check_model(described, candidates, data["observed"], points, what,
                                WORDING)
    except GradingError as err:
        raise AssertionError(str(err)) from None


# ---------------------------------------------------------------- reading what came back

def axes_of(report: dict, what: str) -> plot_check.Shown:
    """What a plotting function's Axes show, from its report (see :func:`returned`)."""
    return plot_check.read(report, what)


def table_of(report: dict, what: str, article: str) -> pd.DataFrame:
    """The DataFrame a function returned, from its report, or a GradingError saying why not."""
    value = report.get("value") or {}
    if report.get("is_none"):
        raise GradingError(f"`{what}` returned None: finish the function and return "
                           f"{article}.")
    if not value.get("type_ok"):
        raise GradingError(f"`{what}` should return a pandas DataFrame, not "
                           f"`{str(value.get('type'))[:80]}`.")
    try:
        return describe.to_frame(value)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise GradingError(f"The DataFrame `{what}` returned could not be read.") from None


def returned(function, args: list, returns: str, **kwargs) -> dict:
    """Call ``function`` here and describe what it returned exactly as a hidden check's probe
    does (the same plain report, through the same wire), closing the figures it opened."""
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    try:
        if returns == "axes":
            # As the hidden probe does: a function that draws on the current figure (pandas'
            # .plot, plt.hist) starts on a new, empty one, not on the notebook's last plot.
            plt.figure()
        value = function(*args, **kwargs)
        report = {"outcome": "returned", "is_none": value is None}
        if value is not None:
            report["value"] = probes.describe_return(value, returns)
    finally:
        for number in set(plt.get_fignums()) - before:
            plt.close(number)
    return wire.roundtrip(report)


# ---------------------------------------------------------------- plots

#: Largest gap between a density curve's and the data's cumulative shares: kernel estimates of
#: the songs or the artist means (scipy with Scott's or Silverman's bandwidth, ArviZ's
#: plot_dist) are within 0.04-0.06; twice Scott's smoothing reaches 0.11; a hump over 0-100
#: drawn without the data 0.11-0.28.
CURVE_GAP = 0.09

def check_distribution_plot(ax: plot_check.Shown, values, what: str, unit: str) -> None:
    """A histogram or density of ``values``: every value counted (or a density), the whole
    range shown, each bar holding the values in its bin, a curve the density of these values."""
    bins = plot_check.histogram_bins(ax)
    curves = plot_check.lines_with_points(ax)
    if len(bins) >= 5:
        left = np.array([b[0] for b in bins])
        heights = np.array([b[2] for b in bins])
        own = np.array([b[1] - b[0] for b in bins])
        pitch = np.diff(left)
        pitch = pitch[pitch > 1e-9]
        typical = float(np.median(pitch)) if pitch.size else float(own[0])
        counted = np.isclose(heights.sum(), len(values))
        # A density's area is 1. Outlines and bars as wide as their bins give it directly.
        # Bars narrower than their bins (rwidth < 1) stand one bin width apart, or a whole
        # number of widths where bins are empty: try the nearest pitch over k = 1..8.
        areas = [float((heights * own).sum())]
        if pitch.size:
            areas += [float(heights.sum() * pitch.min() / k) for k in range(1, 9)
                      if pitch.min() / k >= own.max() * (1 - 1e-6)]
        density = any(np.isclose(area, 1.0, rtol=0.02) for area in areas)
        if not (counted or density):
            raise GradingError(f"`{what}`: the histogram should count all {len(values)} "
                               f"{unit} (or show their density).")
        if left.min() > values.min() + typical / 2 or left.max() + typical < values.max() - 1e-6:
            raise GradingError(f"`{what}`: the histogram does not cover the whole range "
                               f"of the {unit}' values ({values.min():.1f} to "
                               f"{values.max():.1f}): check which values it is drawn from, "
                               "and the range of its bins.")
        # What the bars show, not only how many there are: each bin holds the data that fall
        # in it (a histogram of other numbers, or extra bars, does not).
        width = typical if pitch.size and own.max() < typical * (1 - 1e-6) else None
        if plot_check.histogram_gap(bins, values, width, density and not counted) > 0.01:
            raise GradingError(f"`{what}`: the bars do not hold the {unit} that fall in each "
                               f"bin: check which values the histogram is drawn from.")
    elif curves:
        # A density rises and falls; a curve that only ever rises is a cumulative
        # distribution (an ECDF), which shows the same data but not what was asked for.
        if all(np.all(np.diff(c.xy[:, 1]) >= -1e-12) for c in curves):
            raise GradingError(f"`{what}`: this curve only rises, as a cumulative distribution "
                               "does; draw a histogram or a density of the data.")
        xs = np.concatenate([c.xy[:, 0] for c in curves])
        if xs.min() > values.min() + 5 or xs.max() < values.max() - 5:
            raise GradingError(f"`{what}`: the density curve does not span the data.")
        # Without bars, a curve must be a density of these data (a kernel estimate is within
        # about 0.06 of them; a hump drawn without them is not). Over bars, which are judged
        # by what they hold, a curve (a fitted normal, a rug) is the student's own extra.
        if min(plot_check.curve_gap(c, values) for c in curves) > CURVE_GAP:
            raise GradingError(f"`{what}`: the curve's shape is not the density of the "
                               f"{unit}: check which values it is computed from (and its "
                               "smoothing).")
    else:
        raise GradingError(f"`{what}`: draw a histogram or a density curve of the data.")



def check_by_artist_plot(ax: plot_check.Shown, spotify, artists) -> None:
    """One distribution per artist, named, each reaching from the artist's least to most popular
    song (and not much further), and an axis labelled popularity."""
    what = "plot_popularity_by_artist"
    if plot_check.named_categories(ax, artists) < 40:
        raise GradingError(f"`{what}`: label each artist's distribution with the artist's name "
                           "(tick labels on the category axis).")
    # A distribution reaches from an artist's lowest song to its highest (whiskers, fliers,
    # violins, points); a bar of the mean stops at the mean.
    spans = plot_check.spans_at(ax, artists)
    songs = spotify.groupby("artist", observed=True)["popularity"].agg(["min", "max"])
    varied = [a for a in artists if songs.loc[a, "max"] > songs.loc[a, "min"]]
    # ... and no further than a violin's smoothing reaches past the songs (seaborn cuts two
    # bandwidths beyond them): one line across the whole scale per artist shows no song.
    counts = spotify.groupby("artist", observed=True)["popularity"].agg(["std", "count"])
    reach = 2.5 * counts["std"].fillna(0) * counts["count"] ** -0.2 + 1.0
    shown = sum(a in spans and spans[a][0] <= songs.loc[a, "min"] + 0.5
                and spans[a][1] >= songs.loc[a, "max"] - 0.5
                and spans[a][0] >= songs.loc[a, "min"] - reach[a]
                and spans[a][1] <= songs.loc[a, "max"] + reach[a] for a in varied)
    if shown < 0.9 * len(varied):
        raise GradingError(f"`{what}`: show the whole distribution of each artist's songs, "
                           "from the least to the most popular song, not one summary number "
                           f"per artist ({shown} of {len(varied)} artists with more than one "
                           "distinct song value are shown in full).")
    plot_check.require_label(ax, ["popularity"], what)



#: Vertical segments one artist's slot may hold (an 80% interval, perhaps a 50% one and a
#: cap): a grid of segments that holds every interval somewhere is not a plot of them.
SEGMENTS_PER_ARTIST = 3


def check_intervals_plot(ax: plot_check.Shown, predictions: pd.DataFrame, artist_means,
                         what: str) -> None:
    """Each artist's central 80% interval of ``predictions`` as a vertical segment at its
    name, a point at each artist's observed mean, the artists named, the y axis labelled."""
    artists = [str(a) for a in artist_means["artist"]]
    segments = plot_check.interval_segments(ax)
    names = list(predictions.columns)
    axis, where = plot_check.category_positions(ax, names)
    if axis == 0 and len(where) == len(names):
        # Each artist's segments are the ones at its tick; an interval elsewhere is not its.
        slots = {a: [s for s in segments if abs(s[0] - where[a]) < 0.5] for a in names}
        crowded = [a for a, found in slots.items() if len(found) > SEGMENTS_PER_ARTIST]
        if crowded or len(segments) > SEGMENTS_PER_ARTIST * len(names):
            raise GradingError(f"`{what}`: draw one vertical segment per artist, its central "
                               f"80% predictive interval ({len(segments)} vertical segments "
                               "found).")
    else:
        slots = {a: segments for a in names}
    # Quantile definitions differ by a fraction of a draw's spacing: 0.5 popularity points.
    found = sum(
        any(abs(predictions[a].quantile(0.1) - s[1]) < 0.5
            and abs(predictions[a].quantile(0.9) - s[2]) < 0.5 for s in slots[a])
        for a in names
    )
    if found < len(names):
        raise GradingError(f"`{what}`: draw each artist's central 80% predictive interval as "
                           f"a vertical segment at its name ({found} of {len(names)} found).")
    observed = np.sort(artist_means["popularity"].to_numpy())
    markers = plot_check.marker_values(ax)
    if not any(len(m) == len(observed) and np.allclose(np.sort(m[:, 1]), observed, atol=1e-6)
               for m in markers):
        if any(len(m) == len(observed) for m in markers):
            raise GradingError(f"`{what}`: there is a point per artist, but the points are not "
                               "at the artists' observed mean popularity: check which values "
                               "they show.")
        raise GradingError(f"`{what}`: mark each artist's observed mean popularity with a "
                           "point (a marker, no connecting line).")
    if plot_check.named_categories(ax, artists) < 40:
        raise GradingError(f"`{what}`: label the artists on the axis.")
    plot_check.require_label(ax, ["popularity"], what, axis="y")



def check_areas_plot(ax: plot_check.Shown, predictions: pd.DataFrame) -> None:
    """A density curve per column of ``predictions`` with its central 80% shaded, each named,
    and the x axis labelled popularity."""
    what = "plot_predictive_areas"
    names = [str(c) for c in predictions.columns]
    spans = plot_check.filled_spans(ax)
    if len(spans) < len(names):
        raise GradingError(f"`{what}`: shade the central 80% of each predictive density (e.g. "
                           "with `fill_between`).")
    if len(spans) > 2 * len(names):
        # Strips on a grid hold every interval somewhere and show none of them.
        raise GradingError(f"`{what}`: shade one area per artist, its central 80% "
                           f"({len(spans)} shaded areas found).")
    # The KDE grid puts the shaded edge within a grid step of the quantile.
    tolerance = 1.5
    for name in names:
        lo, hi = predictions[name].quantile([0.1, 0.9])
        if not any(abs(a - lo) < tolerance and abs(b - hi) < tolerance for a, b in spans):
            raise GradingError(f"`{what}`: the shaded area for {name} does not run from the 10% "
                               "to the 90% quantile of its predictions: check which probability "
                               "the shading covers.")
    curves = plot_check.lines_with_points(ax)
    if len(curves) < len(names):
        raise GradingError(f"`{what}`: draw one density curve per artist.")
    # Each artist's curve is a density of its predictions (one curve may be drawn twice, as
    # an outline and a fill's top edge, but not a curve of nothing in particular).
    for name in names:
        if not any(plot_check.curve_gap(c, predictions[name].to_numpy()) <= CURVE_GAP
                   for c in curves):
            raise GradingError(f"`{what}`: no curve is the density of {name}'s predictions: "
                               "check which values each curve is computed from.")
    if plot_check.named_categories(ax, names) < len(names):
        raise GradingError(f"`{what}`: name each artist (tick labels or legend).")
    plot_check.require_label(ax, ["popularity"], what, axis="x")


#: How far the complete pooled stand-in is moved from the real fit's mu (either way): a line
#: drawn from the notebook's own predictions (about 58.4) instead of the argument is then at
#: least this far from the one asked for, not a few hundredths from it one grading in ten.
Q14_SHIFT = (6.0, 15.0)



def check_hierarchical_plot(ax: plot_check.Shown, hierarchical: pd.DataFrame,
                            complete: pd.DataFrame, artist_means) -> None:
    """The intervals plot of ``hierarchical``, with one dashed horizontal line at the median of
    all of ``complete``'s predictions."""
    what = "plot_hierarchical_intervals"
    try:
        check_intervals_plot(ax, hierarchical, artist_means, what)
    except GradingError as err:
        raise GradingError(f"{err} (If it draws them with `plot_predictive_intervals`, the "
                           "place to look is there.)") from None
    level = float(np.median(complete.to_numpy()))
    levels = plot_check.dashed_horizontal_levels(ax)
    if len(levels) > 3:
        # Dashed lines every few hundredths hold every level somewhere and mark none.
        raise GradingError(f"`{what}`: draw one dashed horizontal line, at the complete pooled "
                           f"model's posterior predictive median ({len(levels)} found).")
    if not any(abs(y - level) < 0.05 for y in levels):
        if levels:
            raise GradingError(f"`{what}`: the dashed line is not at the complete pooled "
                               "model's posterior predictive median: check which predictions "
                               "and which summary it marks.")
        raise GradingError(f"`{what}`: add a dashed horizontal line at the complete pooled "
                           "model's posterior predictive median.")



#: One tolerance for every column of the shrinkage table: a table rounded to two decimals
#: (off by at most 0.005) is right; a mean in place of a median is off by far more.
Q15B_ATOL = 0.01


def check_shrinkage_table(table: pd.DataFrame, artist_means, predictions: pd.DataFrame,
                          names: list[str]) -> None:
    """Per artist asked for: its song count, its observed mean, the median of its
    predictions and observed minus predicted, each to ``Q15B_ATOL``."""
    columns = {"count", "observed", "predicted", "shrinkage"}
    if not columns <= set(table.columns):
        raise GradingError("`shrinkage_table` should have the columns count, observed, "
                           "predicted and shrinkage: look at the names the docstring gives.")
    rows = [str(i) for i in table.index]
    if rows != names:
        shown = rows[:5] + (["..."] if len(rows) > 5 else [])
        raise GradingError(f"`shrinkage_table` was asked for the artists {names} and returned "
                           f"rows {shown}: look at how the rows follow the `artists` argument "
                           "(one per artist asked for, in the order given, indexed by artist).")
    means = artist_means.set_index("artist")
    try:
        numbers = table[sorted(columns)].astype(float)
    except (TypeError, ValueError):
        raise GradingError("`shrinkage_table`: every column should hold numbers.") from None
    expected = {name: {"count": means.loc[name, "count"],
                       "observed": means.loc[name, "popularity"],
                       "predicted": predictions[name].median()} for name in names}
    meaning = {"count": "the artist's number of songs",
               "observed": "the artist's mean popularity",
               "predicted": "the median of the artist's predictions"}
    for name in names:
        row = numbers.loc[name]
        for column, what in meaning.items():
            gap = abs(row[column] - expected[name][column])
            one_decimal = abs(row[column] * 10 - round(row[column] * 10)) < 1e-6
            if one_decimal and Q15B_ATOL < gap <= 0.05 + 1e-9 and column != "count":
                raise GradingError(f"`shrinkage_table`: '{column}' for {name} is {gap:.2f} "
                                   "away from what it should be, as if rounded to one "
                                   "decimal: round to two decimals or not at all.")
            if not np.isclose(row[column], expected[name][column], rtol=0, atol=Q15B_ATOL):
                raise GradingError(f"`shrinkage_table`: '{column}' for {name} is not {what} "
                                   f"(numbers rounded to two decimals are fine).")
        # Against the true difference, not the table's own columns: three numbers each
        # rounded to two decimals can be 0.015 apart, one rounded difference only 0.005.
        if not np.isclose(row["shrinkage"],
                          expected[name]["observed"] - expected[name]["predicted"], rtol=0,
                          atol=Q15B_ATOL):
            raise GradingError("`shrinkage_table`: 'shrinkage' should be observed minus "
                               "predicted (numbers rounded to two decimals are fine).")


def check_popularity_plot(ax: plot_check.Shown, spotify) -> None:
    """Exercise 2: the songs' popularity, and an x axis labelled popularity."""
    check_distribution_plot(ax, spotify["popularity"].to_numpy(), "plot_popularity", "songs")
    plot_check.require_label(ax, ["popularity"], "plot_popularity", axis="x")


def check_artist_means_plot(ax: plot_check.Shown, artist_means) -> None:
    """Exercise 10: the artists' mean popularity, and an x axis that says so."""
    check_distribution_plot(ax, artist_means["popularity"].to_numpy(), "plot_artist_means",
                            "artists")
    plot_check.require_label(ax, ["popularity", "mean"], "plot_artist_means", axis="x")



def check_pooling_weights(tables: list[pd.DataFrame], posteriors: list[dict],
                          contexts: list[str], artist_means) -> None:
    """Each table holds the docstring's weights for the posterior it was computed from; two
    posteriors that differ must not give the same weights (they were read from elsewhere)."""
    artists = [str(a) for a in artist_means["artist"]]
    counts = artist_means["count"].to_numpy()
    first = None
    for table, draws, context in zip(tables, posteriors, contexts, strict=True):
        if first is not None and "weight" in table:
            weights = pd.to_numeric(table["weight"], errors="coerce").to_numpy(float)
            if weights.shape == first.shape and np.allclose(weights, first):
                raise GradingError("`pooling_weights` returned the same weights for two "
                                   "different posteriors: read `sigma_y` and `sigma_mu` from "
                                   "the `idata` it is given, not from your own fit.")
        pooling_check.check_weights(table, artists, counts, draws["sigma_y"], draws["sigma_mu"],
                                    context=context)
        first = table["weight"].to_numpy(float)


# ---------------------------------------------------------------- what the notebook's tests call

#: Seed of the inputs the public checks make: fixed, so a check gives the same verdict each run.
SEED = 20161


def _predictions(names: list[str], centres, seed: int, skew: bool = False) -> pd.DataFrame:
    """Predictions to plot or tabulate, one column per name around ``centres``: made here,
    by no model (what the function does with them is what is checked). ``skew`` makes each
    column's mean and median differ clearly."""
    rng = np.random.default_rng(seed)
    columns = {}
    for i, (name, centre) in enumerate(zip(names, centres)):
        spread = 8.0 + 6.0 * rng.random()
        draws = rng.gamma(2.0, spread, 4000) - 2.0 * spread if skew else rng.normal(0, spread, 4000)
        columns[name] = centre + draws
    return pd.DataFrame(columns)


def _public(check):
    """A check as a public test: its verdict an AssertionError with the hidden check's
    message, and an untouched stub "not written yet", as the hidden check says."""
    def run(name: str, function, *args) -> None:
        if not callable(function):
            raise AssertionError(f"The notebook does not define `{name}`: run its cell.")
        if probes.unwritten(function):
            raise AssertionError(f"`{name}` is not written yet.")
        try:
            check(name, function, *args)
        except GradingError as err:
            raise AssertionError(str(err)) from None
    run.__doc__, run.__name__ = check.__doc__, check.__name__
    return run


@_public
def plot_is_as_described(name: str, function, spotify, artist_means) -> None:
    """Raise AssertionError unless the plotting function ``name`` draws what its docstring lists
    under "Checked:", as the hidden check reads it.

    ``function`` is called again here: on the data for the data plots, on predictions made
    here for the prediction plots.
    """
    artists = [str(a) for a in artist_means["artist"]]
    observed = artist_means["popularity"].to_numpy(float)
    if name == "plot_popularity":
        ax = axes_of(returned(function, [spotify.copy()], "axes"), name)
        check_popularity_plot(ax, spotify)
    elif name == "plot_artist_means":
        ax = axes_of(returned(function, [artist_means.copy()], "axes"), name)
        check_artist_means_plot(ax, artist_means)
    elif name == "plot_popularity_by_artist":
        ax = axes_of(returned(function, [spotify.copy()], "axes"), name)
        check_by_artist_plot(ax, spotify, artists)
    elif name == "plot_predictive_intervals":
        predictions = _predictions(artists, observed[::-1], SEED)
        ax = axes_of(returned(function, [predictions, artist_means.copy()], "axes"), name)
        check_intervals_plot(ax, predictions, artist_means, name)
    elif name == "plot_predictive_areas":
        predictions = _predictions([artists[0], artists[-1]], [30.0, 70.0], SEED)
        ax = axes_of(returned(function, [predictions], "axes"), name)
        check_areas_plot(ax, predictions)
    elif name == "plot_hierarchical_intervals":
        hierarchical = _predictions(artists, observed[::-1], SEED)
        # Far from where any fit of these data puts the complete pooled model (about 58).
        complete = _predictions(artists[:3], [41.0, 41.0, 41.0], SEED + 1)
        ax = axes_of(returned(function, [hierarchical, artist_means.copy(), complete], "axes"),
                     name)
        check_hierarchical_plot(ax, hierarchical, complete, artist_means)
    else:
        raise ValueError(f"no public check for {name!r}")


@_public
def table_is_as_described(name: str, function, artist_means) -> None:
    """Raise AssertionError unless ``shrinkage_table`` or ``pooling_weights`` computes what its
    docstring defines, on predictions or a posterior made here."""
    artists = [str(a) for a in artist_means["artist"]]
    if name == "shrinkage_table":
        # Not the exercise's two artists, nor in their order: a table built for them alone
        # is not the function the docstring describes.
        names = ["Frank Ocean", "Elisa", "Sean Kingston"]
        predictions = _predictions(artists, artist_means["popularity"].to_numpy(float), SEED,
                                   skew=True)
        table = table_of(returned(function, [artist_means.copy(), predictions, names], "frame"),
                         name, "the table")
        check_shrinkage_table(table, artist_means, predictions, names)
    elif name == "pooling_weights":
        # Two posteriors made here, far from any fit of these data (the second with sigma_mu
        # halved), as the hidden check passes two of its own.
        rng = np.random.default_rng(SEED)
        posteriors = []
        for factor in (1.0, 0.5):
            posteriors.append({"sigma_y": 20.0 * np.exp(rng.normal(0, 0.05, (2, 1000))),
                               "sigma_mu": factor * 8.0 * np.exp(rng.normal(0, 0.15, (2, 1000)))})
        tables = [table_of(returned(function, [probes.posterior(
                      {"draws": draws, "artists": artists, "per_artist": []}),
                      artist_means.copy()], "frame"), name, "the DataFrame of weights")
                  for draws in posteriors]
        check_pooling_weights(tables, posteriors, ["", " (This was on a second posterior, "
                                                       "with sigma_mu halved.)"], artist_means)
    else:
        raise ValueError(f"no public check for {name!r}")


# ---------------------------------------------------------------- predictions

def check_new_artist_wider(predictions: pd.DataFrame, new: str, known: str) -> None:
    """A new artist's predictions are more uncertain than a known artist's."""
    if predictions[new].std() <= predictions[known].std():
        raise GradingError("`predict_hierarchical`: a new artist's predictions should be more "
                           f"uncertain than {known}'s. Draw a new artist's mean from the "
                           "population of artists first.")


@_public
def predictions_are_as_described(name: str, function, kind: str) -> None:
    """Raise AssertionError unless the prediction function ``name`` simulates, draw by draw,
    what its exercise describes, on a posterior stored next to the notebook.

    ``public_posteriors.npz`` holds that posterior (made up: centred on round numbers and the
    artists' observed means) and, for the artists asked about, each draw's predictive centre
    and sd under the exercise's model; the hidden check does the same on the grader's own.
    """
    with np.load(POSTERIORS) as stored:
        data = {key: stored[key] for key in stored.files if key.startswith(kind + "/")}
    asked = [str(a) for a in data[f"{kind}/asked"]]
    draws = {key.split("/")[1]: value.astype(float) for key, value in data.items()
             if key.count("/") == 1 and not key.endswith("/asked")}
    artists = _expected()["no_pooled"]["artists"]
    idata = probes.posterior({"draws": draws, "artists": artists,
                              "per_artist": [k for k, v in draws.items() if v.ndim == 3]})
    table = table_of(returned(function, [idata, asked], "frame", random_seed=SEED), name,
                     "the DataFrame of predictions")
    n = prediction_check.CHAINS * prediction_check.DRAWS
    predictions = prediction_check.require_predictions(table, asked, n, name)
    if kind == "hierarchical":
        check_new_artist_wider(predictions, asked[0], asked[1])
    for i, artist in enumerate(asked):
        prediction_check.check_predicted(
            predictions[artist].to_numpy(float), data[f"{kind}/centre/{artist}"].astype(float),
            data[f"{kind}/sd/{artist}"].astype(float), SEED + i, name, artist)
