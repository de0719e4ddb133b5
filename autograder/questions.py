"""The hidden checks, one function per test case of the master notebook.

Each takes Otter's ``env`` (the executed notebook's globals) and raises
:class:`~autograder.feedback.GradingError` with a student-facing message when the check fails.
Data and references are read from disk here, never taken from the notebook, so a submission
that reassigns ``spotify`` or ``artist_means`` cannot change what it is graded against.
"""

from __future__ import annotations

import gc
import json
from functools import lru_cache, wraps
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import fit_check, model_check, plot_check, pooling_check, predict_check
from .feedback import GradingError
from .limits import time_limit

try:  # at grading time activity.py sits next to the notebook, outside any package
    from activity import NEW_ARTIST, load_spotify
except ImportError:
    from assignment.activity import NEW_ARTIST, load_spotify

from solutions.models import candidates

HERE = Path(__file__).resolve().parent
REFERENCE_JSON = HERE.parent / "solutions" / "reference.json"
DATA_PLACES = (HERE.parent / "spotify.csv", HERE.parent / "data" / "spotify.csv")
WHAT = {
    "complete_pooled": "complete pooled model",
    "no_pooled": "no pooled model",
    "hierarchical": "hierarchical model",
}
CHOICES = ("complete pooled", "no pooled", "hierarchical")


@lru_cache(maxsize=1)
def data():
    path = next((p for p in DATA_PLACES if p.exists()), None)
    if path is None:
        raise GradingError("The autograder could not find spotify.csv (an instructor problem).")
    return load_spotify(path)


@lru_cache(maxsize=1)
def references():
    return json.loads(REFERENCE_JSON.read_text(encoding="utf-8"))["summaries"]


def artists() -> list[str]:
    return [str(a) for a in data()[1]["artist"]]


def _function(env, name):
    fn = env.get(name)
    if not callable(fn):
        raise GradingError(f"The notebook does not define the function `{name}`.")
    return fn


def _call(env, name, *args, **kwargs):
    fn = _function(env, name)
    try:
        with time_limit(name):
            return fn(*args, **kwargs)
    except GradingError:
        raise
    except NotImplementedError:
        raise GradingError(f"`{name}` is not written yet.") from None
    except Exception as err:
        raise GradingError(f"`{name}` raised {type(err).__name__}: {err}") from None


def closes_new_figures(check):
    """Close the figures a check made the student's code draw: grading memory is tight."""
    @wraps(check)
    def wrapper(env):
        before = set(plt.get_fignums())
        try:
            return check(env)
        finally:
            for number in set(plt.get_fignums()) - before:
                plt.close(number)
    return wrapper


# ---------------------------------------------------------------- models and fits

def _fit(env, kind):
    result = env.get(f"{kind}_fit")
    if result is None:
        raise GradingError(
            f"`{kind}_fit` is missing: run the cell that calls `fit_{kind}(spotify)`."
        )
    if not (isinstance(result, tuple) and len(result) == 2):
        raise GradingError(f"`fit_{kind}` should return a tuple `(model, idata)`.")
    return result


def check_model(env, kind):
    model, _ = _fit(env, kind)
    spotify, _ = data()
    try:
        model_check.check_model(model, candidates(kind, spotify),
                                spotify["popularity"].to_numpy(), artists(), WHAT[kind])
    finally:
        gc.collect()  # the compiled log-density graphs are large and used once


def check_fit(env, kind):
    model, idata = _fit(env, kind)
    model_check.observed_variable(model, WHAT[kind])
    fit_check.check_provenance(idata, model, WHAT[kind])
    fit_check.check_summaries(idata, references()[kind], artists(), WHAT[kind])


# ---------------------------------------------------------------- plots

@closes_new_figures
def q2_plot_popularity(env):
    spotify, _ = data()
    ax = plot_check.require_axes(_call(env, "plot_popularity", spotify.copy()), "plot_popularity")
    _check_distribution_plot(ax, spotify["popularity"].to_numpy(), "plot_popularity", "songs")
    plot_check.require_label(ax, ["popularity"], "plot_popularity", axis="x")


def _check_distribution_plot(ax, values, what, unit):
    bins = plot_check.histogram_bins(ax)
    curves = plot_check.lines_with_points(ax)
    if len(bins) >= 5:
        left = np.array([b[0] for b in bins])
        heights = np.array([b[2] for b in bins])
        # Bars may be narrower than their bins (rwidth < 1): a bin's width is the distance to
        # the next bar, and the last one is as wide as the typical bin.
        pitch = np.diff(left)
        typical = float(np.median(pitch)) if pitch.size else bins[0][1] - bins[0][0]
        widths = np.append(pitch, typical)
        counted = np.isclose(heights.sum(), len(values))
        density = np.isclose((heights * widths).sum(), 1.0, rtol=0.02)
        if not (counted or density):
            raise GradingError(f"`{what}`: the histogram should count all {len(values)} "
                               f"{unit} (or show their density).")
        if left.min() > values.min() + typical / 2 or left.max() + typical < values.max() - 1e-6:
            raise GradingError(f"`{what}`: the histogram does not cover the whole range "
                               "of the data.")
    elif curves:
        xs = np.concatenate([np.asarray(c.get_xdata(), float) for c in curves])
        if xs.min() > values.min() + 5 or xs.max() < values.max() - 5:
            raise GradingError(f"`{what}`: the density curve does not span the data.")
    else:
        raise GradingError(f"`{what}`: draw a histogram or a density curve of the data.")


@closes_new_figures
def q6_plot_by_artist(env):
    spotify, _ = data()
    ax = plot_check.require_axes(_call(env, "plot_popularity_by_artist", spotify.copy()),
                                 "plot_popularity_by_artist")
    if plot_check.named_categories(ax, artists()) < 40:
        raise GradingError("`plot_popularity_by_artist`: label each artist's distribution with "
                           "the artist's name (tick labels on the category axis).")
    # A distribution reaches from an artist's lowest song to its highest (whiskers, fliers,
    # violins, points); a bar of the mean stops at the mean.
    spans = plot_check.spans_at(ax, artists())
    songs = spotify.groupby("artist", observed=True)["popularity"].agg(["min", "max"])
    varied = [a for a in artists() if songs.loc[a, "max"] > songs.loc[a, "min"]]
    shown = sum(a in spans and spans[a][0] <= songs.loc[a, "min"] + 0.5
                and spans[a][1] >= songs.loc[a, "max"] - 0.5 for a in varied)
    if shown < 0.9 * len(varied):
        raise GradingError("`plot_popularity_by_artist`: show the whole distribution of each "
                           "artist's songs, from the least to the most popular song, not one "
                           f"summary number per artist ({shown} of {len(varied)} artists "
                           "with more than one distinct song value are shown in full).")
    plot_check.require_label(ax, ["popularity"], "plot_popularity_by_artist")


@closes_new_figures
def q10_plot_artist_means(env):
    _, artist_means = data()
    ax = plot_check.require_axes(_call(env, "plot_artist_means", artist_means.copy()),
                                 "plot_artist_means")
    _check_distribution_plot(ax, artist_means["popularity"].to_numpy(), "plot_artist_means",
                             "artists")
    plot_check.require_label(ax, ["popularity", "mean"], "plot_artist_means", axis="x")


def _stand_in_predictions(kind, names, seed):
    """Predictions from the reference procedure on the stand-in posterior (for plot checks)."""
    idata = predict_check.stand_in_posterior(references()[kind], artists(), seed)
    draws = {k: v.values for k, v in idata.posterior.items()}
    position = {a: i for i, a in enumerate(artists())}
    return pd.DataFrame({
        a: predict_check.expected_predictive(draws, kind, position.get(a), seed + i)
        for i, a in enumerate(names)
    })


def _check_intervals_plot(ax, predictions, what):
    _, artist_means = data()
    segments = plot_check.interval_segments(ax)
    wanted = [(predictions[a].quantile(0.1), predictions[a].quantile(0.9))
              for a in predictions.columns]
    # Quantile definitions differ by a fraction of a draw's spacing: 0.5 popularity points.
    found = sum(
        any(abs(lo - s[1]) < 0.5 and abs(hi - s[2]) < 0.5 for s in segments)
        for lo, hi in wanted
    )
    if found < len(wanted):
        raise GradingError(f"`{what}`: draw each artist's central 80% predictive interval as "
                           f"a vertical segment ({found} of {len(wanted)} found).")
    observed = np.sort(artist_means["popularity"].to_numpy())
    if not any(len(m) == len(observed) and np.allclose(np.sort(m[:, 1]), observed, atol=1e-6)
               for m in plot_check.marker_values(ax)):
        raise GradingError(f"`{what}`: mark each artist's observed mean popularity with a "
                           "point (a marker, no connecting line).")
    if plot_check.named_categories(ax, artists()) < 40:
        raise GradingError(f"`{what}`: label the artists on the axis.")
    plot_check.require_label(ax, ["popularity"], what, axis="y")


@closes_new_figures
def q5_intervals_plot(env):
    _, artist_means = data()
    predictions = _stand_in_predictions("no_pooled", artists(), seed=11)
    ax = plot_check.require_axes(
        _call(env, "plot_predictive_intervals", predictions, artist_means.copy()),
        "plot_predictive_intervals")
    _check_intervals_plot(ax, predictions, "plot_predictive_intervals")


@closes_new_figures
def q5_areas_plot(env):
    names = [NEW_ARTIST, "Beyoncé"]
    predictions = _stand_in_predictions("hierarchical", names, seed=12)
    ax = plot_check.require_axes(_call(env, "plot_predictive_areas", predictions),
                                 "plot_predictive_areas")
    spans = plot_check.filled_spans(ax)
    if len(spans) < len(names):
        raise GradingError("`plot_predictive_areas`: shade the central 80% of each "
                           "predictive density (e.g. with `fill_between`).")
    # The KDE grid puts the shaded edge within a grid step of the quantile.
    tolerance = 1.5
    for name in names:
        lo, hi = predictions[name].quantile([0.1, 0.9])
        if not any(abs(a - lo) < tolerance and abs(b - hi) < tolerance for a, b in spans):
            raise GradingError(f"`plot_predictive_areas`: the shaded area for {name} does not "
                               "run from the 10% to the 90% quantile of its predictions: check "
                               "which probability the shading covers.")
    if len(plot_check.lines_with_points(ax)) < len(names):
        raise GradingError("`plot_predictive_areas`: draw one density curve per artist.")
    if plot_check.named_categories(ax, names) < len(names):
        raise GradingError("`plot_predictive_areas`: name each artist (tick labels or legend).")
    plot_check.require_label(ax, ["popularity"], "plot_predictive_areas", axis="x")


@closes_new_figures
def q14_plot(env):
    _, artist_means = data()
    hier = _stand_in_predictions("hierarchical", artists(), seed=13)
    complete = _stand_in_predictions("complete_pooled", artists()[:3], seed=14)
    ax = plot_check.require_axes(
        _call(env, "plot_hierarchical_intervals", hier, artist_means.copy(), complete),
        "plot_hierarchical_intervals")
    _check_intervals_plot(ax, hier, "plot_hierarchical_intervals")
    level = float(np.median(complete.to_numpy()))
    if not any(abs(y - level) < 0.05 for y in plot_check.dashed_horizontal_levels(ax)):
        raise GradingError("`plot_hierarchical_intervals`: add a dashed horizontal line at "
                           "the complete pooled model's posterior predictive median.")


# ---------------------------------------------------------------- predictions

def _predict(env, fn_name, kind, names, seed):
    idata = predict_check.stand_in_posterior(references()[kind], artists(), seed)
    n = predict_check.CHAINS * predict_check.DRAWS
    # A seed unrelated to the stand-in's: the same seed would replay the posterior's own
    # normal draws as song noise and correlate the two.
    result = _call(env, fn_name, idata, list(names), random_seed=seed + 7919)
    predictions = predict_check.require_predictions(result, names, n, fn_name)
    draws = {k: v.values for k, v in idata.posterior.items()}
    return predictions, draws


def _check_against_reference(predictions, draws, kind, fn_name, seed):
    position = {a: i for i, a in enumerate(artists())}
    for i, name in enumerate(predictions.columns):
        values = predictions[name].to_numpy(float)
        expected = predict_check.expected_predictive(draws, kind, position.get(name),
                                                     seed + 1000 + i)
        predict_check.check_centre(values, float(np.median(expected)), float(expected.std()),
                                   fn_name, name)
        spread, want = values.std(), expected.std()
        if not 0.9 < spread / want < 1.1:
            raise GradingError(f"`{fn_name}`: the predictions for {name} are "
                               f"{'too spread out' if spread > want else 'too narrow'} for "
                               "this model: check which standard deviations each simulated "
                               "song passes through.")
        centre, sd = predict_check.draw_parameters(draws, kind, position.get(name))
        predict_check.check_follows_draws(values, centre, sd, fn_name, name)


def q5_predictions(env):
    names = [NEW_ARTIST, "Beyoncé", "Mia X"]
    predictions, draws = _predict(env, "predict_complete_pooled", "complete_pooled", names, 21)
    _check_against_reference(predictions, draws, "complete_pooled", "predict_complete_pooled", 21)


def q9_unseen_artist(env):
    idata = predict_check.stand_in_posterior(references()["no_pooled"], artists(), 31)
    fn = _function(env, "predict_no_pooled")
    try:
        with time_limit("predict_no_pooled"):
            fn(idata, [NEW_ARTIST], random_seed=31)
    except GradingError:
        raise
    except NotImplementedError:
        raise GradingError("`predict_no_pooled` is not written yet.") from None
    except Exception as err:  # any clear error will do, as long as it names the artist
        if NEW_ARTIST not in str(err):
            raise GradingError("`predict_no_pooled` raised an error for an unseen artist, "
                               "but its message should name the artist.") from None
        return
    raise GradingError("`predict_no_pooled` returned predictions for an artist the no pooled "
                       "model has no parameter for; it should raise an error instead.")


def q9_predictions(env):
    names = ["Mia X", "Beyoncé", "Sean Kingston"]
    predictions, draws = _predict(env, "predict_no_pooled", "no_pooled", names, 32)
    _check_against_reference(predictions, draws, "no_pooled", "predict_no_pooled", 32)


def q13_predictions(env):
    names = [NEW_ARTIST, "Beyoncé", "Mia X"]
    predictions, draws = _predict(env, "predict_hierarchical", "hierarchical", names, 41)
    if predictions[NEW_ARTIST].std() <= predictions["Beyoncé"].std():
        raise GradingError("`predict_hierarchical`: a new artist's predictions should be more "
                           "uncertain than Beyoncé's. Draw a new artist's mean from the "
                           "population of artists first.")
    _check_against_reference(predictions, draws, "hierarchical", "predict_hierarchical", 41)


def q15b_table(env):
    _, artist_means = data()
    names = ["Sean Kingston", "Frank Ocean"]
    predictions = _stand_in_predictions("hierarchical", artists(), seed=51)
    table = _call(env, "shrinkage_table", artist_means.copy(), predictions, names)
    if not isinstance(table, pd.DataFrame):
        raise GradingError("`shrinkage_table` should return a DataFrame.")
    columns = {"count", "observed", "predicted", "shrinkage"}
    if not columns <= set(table.columns) or [str(i) for i in table.index] != names:
        raise GradingError("`shrinkage_table` should have one row per requested artist "
                           "(indexed by artist) and the columns count, observed, predicted "
                           "and shrinkage.")
    means = artist_means.set_index("artist")
    for name in names:
        row = table.loc[name]
        if row["count"] != means.loc[name, "count"] or not np.isclose(
                row["observed"], means.loc[name, "popularity"]):
            raise GradingError(f"`shrinkage_table`: count or observed mean is off for {name}.")
        if not np.isclose(row["predicted"], predictions[name].median(), atol=0.01):
            raise GradingError(f"`shrinkage_table`: 'predicted' should be the median of "
                               f"{name}'s predictions.")
        if not np.isclose(row["shrinkage"], row["observed"] - row["predicted"], atol=0.01):
            raise GradingError("`shrinkage_table`: 'shrinkage' should be observed minus "
                               "predicted.")


def _scaled(summaries, name, factor):
    """Reference summaries with one parameter's draws scaled: a posterior no fit produced."""
    changed = dict(summaries)
    changed[name] = {k: v * factor for k, v in summaries[name].items()}
    return changed


def q15d_pooling_weights(env):
    _, artist_means = data()
    counts = artist_means["count"].to_numpy()
    # The reference posterior, then one with sigma_mu halved: a function that reads the
    # student's own fit instead of its argument passes the first and fails the second.
    first = None
    for seed, factor, context in (
            (61, 1.0, ""),
            (62, 0.5, " (This was on a second posterior the grader made, with sigma_mu halved.)")):
        summaries = _scaled(references()["hierarchical"], "sigma_mu", factor)
        # Close to the real posterior: the worked pair's weights are the ones students see.
        idata = predict_check.stand_in_posterior(summaries, artists(), seed, wide=False)
        table = _call(env, "pooling_weights", idata, artist_means.copy())
        if first is not None and isinstance(table, pd.DataFrame) and "weight" in table \
                and np.allclose(table["weight"].to_numpy(float), first):
            raise GradingError("`pooling_weights` returned the same weights for two different "
                               "posteriors: read `sigma_y` and `sigma_mu` from the `idata` it "
                               "is given, not from your own fit.")
        post = idata.posterior
        pooling_check.check_weights(table, artists(), counts, post["sigma_y"].values,
                                    post["sigma_mu"].values, context=context)
        first = table["weight"].to_numpy(float)


# ---------------------------------------------------------------- multiple choice

def _choice(env, name, allowed):
    value = env.get(name)
    if value not in allowed:
        raise GradingError(f"`{name}` should be one of {', '.join(map(repr, allowed))}.")
    return value


def q12_choice(env):
    if _choice(env, "q12", ("complete pooled", "no pooled", "in between")) != "in between":
        raise GradingError("`q12` is not right yet. Think about what partial pooling does.")


def q15a_choice(env):
    if _choice(env, "q15a", ("typical", "extreme")) != "extreme":
        raise GradingError("`q15a` is not right yet. Compare the plot's intervals with the "
                           "observed means at both ends of the axis.")


def q17_choices(env):
    answers = {name: _choice(env, name, CHOICES) for name in (
        "q17_most_variable", "q17_least_variable", "q17_most_biased", "q17_least_biased")}
    key = {"q17_most_variable": "no pooled", "q17_least_variable": "complete pooled",
           "q17_most_biased": "complete pooled", "q17_least_biased": "no pooled"}
    wrong = sorted(n for n, v in answers.items() if v != key[n])
    if wrong:
        raise GradingError(f"{len(wrong)} of the four answers are not right yet "
                           f"({', '.join(wrong)}).")
