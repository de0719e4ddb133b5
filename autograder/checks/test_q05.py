"""Exercise 5: complete pooled predictions, and the two plots of predictions."""

from poolside.grading.checks import check

from autograder.reading import (NEW_ARTIST, axes_of, call, check_predictions,
                                prediction_probes, public_checks)

PREDICTED = [NEW_ARTIST, "Beyoncé", "Mia X"]
AREAS_NAMES = [NEW_ARTIST, "Beyoncé"]


@check("q5", points=2, public=True, probes=prediction_probes(
    "q5-predict_complete_pooled", "predict_complete_pooled", "complete_pooled", PREDICTED))
def test_complete_pooled_predictions(grading, reports):
    """complete pooled predictions are centred and spread as the model says"""
    check_predictions(grading, reports, "q5-predict_complete_pooled", "predict_complete_pooled",
                      "complete_pooled", PREDICTED)


def _areas_probes(g):
    arg, _ = g.predictions("q5-areas", "hierarchical", AREAS_NAMES)
    return [call("plot_predictive_areas", "plot_predictive_areas", arg, returns="axes")]


@check("q5", points=2, public=True, probes=_areas_probes)
def test_areas_plot(grading, reports):
    """the areas plot shades each artist's central 80%"""
    what = "plot_predictive_areas"
    public_checks.check_areas_plot(axes_of(reports, what, what), grading.made("q5-areas"))


def _intervals_probes(g):
    arg, _ = g.predictions("q5-intervals", "no_pooled", g.artists)
    return [call("plot_predictive_intervals", "plot_predictive_intervals", arg,
                 g.frame("artist_means"), returns="axes")]


@check("q5", points=2, public=True, probes=_intervals_probes)
def test_intervals_plot(grading, reports):
    """the intervals plot shows every artist's interval and observed mean"""
    what = "plot_predictive_intervals"
    public_checks.check_intervals_plot(axes_of(reports, what, what), grading.made("q5-intervals"),
                                       grading.artist_means, what)
