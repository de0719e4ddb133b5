"""Exercise 13: hierarchical predictions for known and new artists."""

from poolside.grading.checks import check

from autograder.reading import NEW_ARTIST, check_predictions, prediction_probes, public_checks

PREDICTED = [NEW_ARTIST, "Beyoncé", "Mia X"]


def _new_artist_wider(predictions):
    public_checks.check_new_artist_wider(predictions, NEW_ARTIST, "Beyoncé")


@check("q13", points=4, public=True, probes=prediction_probes(
    "q13-predict_hierarchical", "predict_hierarchical", "hierarchical", PREDICTED))
def test_hierarchical_predictions(grading, reports):
    """hierarchical predictions handle new and known artists"""
    check_predictions(grading, reports, "q13-predict_hierarchical", "predict_hierarchical",
                      "hierarchical", PREDICTED, extra=_new_artist_wider)
