"""Every way a check can fail says so in its own words: one test per failure path.

Two routes, as grading has them: a probe's report that says the function could not run
(judged by :meth:`Registry.judge` from a report written here), and a function that
runs but returns the wrong thing (called by :meth:`Registry.check` in-process).
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from poolside.grading import fit_check, model_check  # noqa: E402

from autograder.reading import NEW_ARTIST  # noqa: E402
from tests.project import REGISTRY as registry  # noqa: E402
from autograder.context import Grading, references  # noqa: E402
from autograder.reading import WORDING  # noqa: E402
from poolside.grading.feedback import GradingError  # noqa: E402
from solutions.models import candidates, parameters  # noqa: E402
from tests import test_catalogue as cat  # noqa: E402

POPULARITY_PLOT = "the popularity plot counts every song and labels the axis"


# ---------------------------------------------------------------- a probe that did not return

@pytest.mark.parametrize("report,message", [
    (None, "the notebook stopped before the check ran"),
    ({"outcome": "missing"}, "does not define `plot_popularity`"),
    ({"outcome": "timeout"}, "did not finish within"),
    ({"outcome": "died"}, "kernel stopped while `plot_popularity` ran"),
    ({"outcome": "raised", "error": "NotImplementedError", "not_implemented": True},
     "is not written yet"),
    ({"outcome": "raised", "error": "ZeroDivisionError", "message": "division by zero"},
     "raised ZeroDivisionError: division by zero"),
    ({"outcome": "unreadable", "message": "too large"}, "could not be read"),
])
def test_a_probe_that_did_not_return_is_reported_as_what_happened(report, message):
    case = registry.case(POPULARITY_PLOT)
    grading = Grading(0)
    (entry,) = registry.plan(grading, [case])
    reports = {} if report is None else {entry["id"]: report}
    (result,) = registry.judge(grading, reports, [case])
    assert not result["passed"] and message in result["message"]


# ---------------------------------------------------------------- functions that return wrong things

def _fails(case: str, env: dict, message: str) -> None:
    with pytest.raises(GradingError, match=message):
        registry.check(case, env)
    plt.close("all")


def _axes_with(draw):
    fig, ax = plt.subplots()
    draw(ax)
    ax.set_xlabel("popularity")
    return ax


def test_a_histogram_of_part_of_the_range_is_told_it_does_not_cover_it():
    def plot(spotify):
        upper = spotify["popularity"].to_numpy()
        return _axes_with(lambda ax: ax.hist(upper[upper > 40], bins=15, density=True))
    _fails(POPULARITY_PLOT, {"plot_popularity": plot}, "does not cover the whole range")


def test_a_density_curve_over_part_of_the_data_is_told_it_does_not_span_it():
    grid = np.linspace(40, 60, 200)
    plot = lambda spotify: _axes_with(lambda ax: ax.plot(grid, np.exp(-(grid - 50) ** 2)))  # noqa: E731
    _fails(POPULARITY_PLOT, {"plot_popularity": plot}, "density curve does not span")


def test_an_empty_plot_is_asked_for_a_histogram_or_a_density():
    _fails(POPULARITY_PLOT, {"plot_popularity": lambda spotify: _axes_with(lambda ax: None)},
           "draw a histogram or a density curve")


def test_a_plot_function_that_returns_none_is_asked_to_return_the_axes():
    def plot(spotify):
        plt.hist(spotify["popularity"])  # drawn, but the Axes not returned

    _fails(POPULARITY_PLOT, {"plot_popularity": plot}, "returned None")


def test_the_stub_as_handed_out_is_not_written_yet_wherever_it_is_probed():
    def stub(*args, **kwargs):
        """Docstring."""
        ...

    _fails(POPULARITY_PLOT, {"plot_popularity": stub}, "is not written yet")
    _fails("the no pooled predictions refuse an unseen artist with a clear error",
           {"predict_no_pooled": stub}, "`predict_no_pooled` is not written yet")
    _fails("the complete pooled model has the priors and likelihood asked for",
           {"fit_complete_pooled": stub, "complete_pooled_fit": None},
           "`fit_complete_pooled` is not written yet")


def test_intervals_without_artist_names_are_asked_for_labels():
    def plot(predictions, artist_means):
        ax = cat.intervals(predictions, artist_means)
        ax.set_xticks(range(len(artist_means)), [str(i) for i in range(len(artist_means))])
        return ax
    _fails("the intervals plot shows every artist's interval and observed mean",
           {"plot_predictive_intervals": plot}, "label the artists on the axis")


def test_areas_without_names_are_asked_to_name_each_artist():
    def plot(predictions):
        ax = cat.areas(predictions)
        ax.set_yticks([])
        return ax
    _fails("the areas plot shades each artist's central 80%", {"plot_predictive_areas": plot},
           "name each artist")


def test_an_unseen_artist_that_exits_the_program_is_told_to_raise():
    def predict(idata, artists, random_seed=0):
        sys.exit(1)
    _fails("the no pooled predictions refuse an unseen artist with a clear error",
           {"predict_no_pooled": predict}, "stopped the program")


def test_an_unseen_artist_error_that_does_not_name_the_artist_is_told_so():
    def predict(idata, artists, random_seed=0):
        if NEW_ARTIST in artists:
            raise KeyError("unknown")
        return cat.no_pooled(idata, artists, random_seed)
    _fails("the no pooled predictions refuse an unseen artist with a clear error",
           {"predict_no_pooled": predict}, "should name the artist")


PREDICTIONS = "complete pooled predictions are centred and spread as the model says"


def test_predictions_that_are_not_a_table_are_asked_for_a_dataframe():
    _fails(PREDICTIONS, {"predict_complete_pooled": lambda i, a, random_seed=0: np.zeros((4, 2))},
           "should return a pandas DataFrame")


def test_predictions_with_missing_values_are_told_so():
    def predict(idata, artists, random_seed=0):
        table = cat.complete(idata, artists, random_seed)
        table.iloc[0, 0] = np.nan
        return table
    _fails(PREDICTIONS, {"predict_complete_pooled": predict}, "missing or infinite predictions")


SHRINKAGE = "the shrinkage table reports counts, means and shrinkage"


def test_a_shrinkage_table_indexed_by_number_is_asked_for_a_row_per_artist():
    def table(artist_means, predictions, artists):
        return cat.shrinkage(artist_means, predictions, artists).reset_index(drop=True)
    _fails(SHRINKAGE, {"shrinkage_table": table}, "one per artist asked for")


def test_a_shrinkage_table_of_text_is_asked_for_numbers():
    def table(artist_means, predictions, artists):
        return cat.shrinkage(artist_means, predictions, artists).astype(str).assign(
            count="a few")
    _fails(SHRINKAGE, {"shrinkage_table": table}, "every column should hold numbers")


def test_a_table_that_is_none_is_asked_to_return_it():
    def table(m, p, a):
        m.set_index("artist")  # a result computed, but not returned

    _fails(SHRINKAGE, {"shrinkage_table": table}, "returned None")


WEIGHTS = "pooling weights match the posterior given"


@pytest.mark.parametrize("returned,message", [
    (None, "returned None"),
    (np.zeros(44), "should return a pandas DataFrame"),
    (pd.DataFrame({"n": [1]}), "columns `count` and `weight`"),
    (pd.DataFrame({"count": [2], "weight": [0.5]}, index=["Sean Kingston"]),
     "one row per artist"),
    (pd.DataFrame({"count": 1, "weight": np.nan}, index=cat.ARTISTS),
     "missing or infinite weights"),
])
def test_pooling_weights_of_the_wrong_kind_are_told_what_is_wrong(returned, message):
    _fails(WEIGHTS, {"pooling_weights": lambda idata, artist_means: returned}, message)


def test_a_multiple_choice_answer_outside_the_choices_lists_them():
    _fails("q12 is answered correctly", {"q12": "between"}, "should be one of")


@pytest.mark.parametrize("fit,message", [
    (None, "is missing: run the cell"),
    ("not a pair", "should return a tuple"),
])
def test_a_fit_that_is_missing_or_not_a_pair_is_told_so(fit, message):
    env = {} if fit is None else {"complete_pooled_fit": fit}
    _fails("the complete pooled model has the priors and likelihood asked for", env, message)


def test_a_fit_is_not_judged_before_its_model_matches():
    model = cat.complete_model(mu_scale=10.0)
    _fails("the complete pooled model s posterior comes from the model and matches the "
           "reference".replace("model s", "model's"),
           {"complete_pooled_fit": (model, None)}, "once the model matches")


# ---------------------------------------------------------------- fits and models, read directly


def _reads(export) -> None:
    return fit_check.from_export(export, cat.ARTISTS, "complete pooled model")


@pytest.mark.parametrize("export,message", [
    (None, "should be what `pm.sample` returns"),
    ({"is_fit": True, "draws": "not a mapping"}, "could not be read"),
    ({"is_fit": True, "draws": {"mu": np.zeros((4, 10)), "sigma": np.zeros((2, 10))},
      "dims": {}, "coords": {}}, "do not share one"),
    ({"is_fit": True, "draws": {"mu_j": np.zeros((4, 10, 3))},
      "dims": {"mu_j": ["chain", "draw", "artist"]}, "coords": {"artist": ["a", "b"]}},
     "do not fit together"),
])
def test_an_export_that_is_not_a_fit_is_told_what_is_wrong(export, message):
    with pytest.raises(GradingError, match=message):
        _reads(export)


def _posterior(draws=5000, shift=0.0, scale=1.0, names=("mu", "sigma"), lp=None):
    import xarray as xr

    table = references()["complete_pooled"]
    rng = np.random.default_rng(1)
    posterior = xr.Dataset({
        name: (("chain", "draw"), rng.normal(table[name]["median"] + shift * table[name]["mad_sd"],
                                             scale * table[name]["mad_sd"], (4, draws)))
        for name in names})
    groups = {"posterior": posterior}
    if lp is not None:
        groups["sample_stats"] = xr.Dataset({"lp": (("chain", "draw"), lp)})
    return xr.DataTree.from_dict(groups)


@pytest.mark.parametrize("idata,message", [
    (_posterior(names=("mu",)), "has no draws of `sigma`"),
    (_posterior(draws=40), "too few effective draws"),
    (_posterior(shift=1.0), "further from the reference"),
    (_posterior(scale=1.5), "80% posterior interval"),
])
def test_a_posterior_unlike_the_reference_is_told_how(idata, message):
    with pytest.raises(GradingError, match=message):
        fit_check.check_summaries(idata, references()["complete_pooled"], cat.ARTISTS,
                                  "complete pooled model")


def test_a_posterior_like_the_reference_passes_the_summaries():
    fit_check.check_summaries(_posterior(), references()["complete_pooled"], cat.ARTISTS,
                              "complete pooled model")


@pytest.mark.parametrize("idata,message", [
    ("a dict", "should be what `pm.sample` returns"),
    (_posterior(), "has no sampler statistics"),
    (_posterior(names=("mu",), lp=np.zeros((4, 5000))), "has no draws of `sigma`"),
    (_posterior(lp=np.zeros((4, 5000))), "does not come from sampling"),
])
def test_a_fit_that_did_not_come_from_the_model_is_told_so(idata, message):
    with pytest.raises(GradingError, match=message):
        fit_check.check_provenance(idata, cat.complete_model(), "complete pooled model")


@pytest.mark.parametrize("described,message", [
    ({"is_model": False, "type": "dict"}, "should be a `pm.Model`"),
    ({"is_model": True, "observed": []}, "has no observed variable"),
    ({"is_model": True, "observed": ["a", "b"]}, "has 2 observed variables"),
    ({"is_model": True, "observed": ["popularity"], "observed_data": [1.0, 2.0]},
     "not the popularity of all 350 songs"),
])
def test_a_model_without_the_one_observed_variable_is_told_so(described, message):
    with pytest.raises(GradingError, match=message):
        model_check.check_model(described, candidates("complete_pooled", cat.SPOTIFY),
                                cat.y, {}, "complete pooled model", WORDING)


def test_a_model_whose_terms_cannot_be_read_is_told_so():
    points = model_check.test_points(parameters("complete_pooled"), cat.ARTISTS)
    described = {"is_model": True, "observed": ["popularity"], "observed_data": cat.y,
                 "free": ["mu", "sigma"], "shapes": {"mu": [], "sigma": []}, "terms": None}
    with pytest.raises(GradingError, match="could not be evaluated at test values"):
        model_check.check_model(described, candidates("complete_pooled", cat.SPOTIFY), cat.y,
                                points, "complete pooled model", WORDING)


def test_the_engine_names_data_generically_unless_told_how():
    described = {"is_model": True, "observed": ["y"], "observed_data": [1.0, 2.0]}
    with pytest.raises(GradingError, match="is not all 350 observed values"):
        model_check.check_model(described, candidates("complete_pooled", cat.SPOTIFY),
                                cat.y, {}, "complete pooled model")
