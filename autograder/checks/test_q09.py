"""Exercise 9: no pooled predictions, and an artist the model has never seen."""

from poolside.grading.checks import check
from poolside.grading.feedback import GradingError

from autograder.reading import (NEW_ARTIST, call, check_predictions, prediction_probes,
                                report_of)

PREDICTED = ["Mia X", "Beyoncé", "Sean Kingston"]


def _unseen_probes(g):
    arg, _ = g.posterior("q9-unseen", "no_pooled")
    # The same call for an artist the model knows: refusing every artist is not refusing
    # the unseen one.
    known = g.artists[g.seed_for("q9-known") % len(g.artists)]
    return [call("q9-unseen", "predict_no_pooled", arg, [NEW_ARTIST], returns="frame",
                 random_seed=g.seed_for("q9-unseen-call")),
            call("q9-known", "predict_no_pooled", arg, [known], returns="frame",
                 random_seed=g.seed_for("q9-known-call"))]


@check("q9", points=2, probes=_unseen_probes)
def test_unseen_artist_refused(grading, reports):
    """the no pooled predictions refuse an unseen artist with a clear error"""
    report = reports.get("q9-unseen")
    if isinstance(report, dict) and report.get("outcome") == "raised" \
            and not report.get("not_implemented"):
        # Any clear error will do, as long as it names the artist; an exit is not an error.
        if report.get("error") in ("SystemExit", "KeyboardInterrupt"):
            raise GradingError("`predict_no_pooled` stopped the program for an unseen artist; "
                               "raise an exception (e.g. `KeyError`) instead.")
        if NEW_ARTIST not in str(report.get("message")):
            raise GradingError("`predict_no_pooled` raised an error for an unseen artist, "
                               "but its message should name the artist.")
        known = reports.get("q9-known")
        if not (isinstance(known, dict) and known.get("outcome") == "returned"
                and not known.get("is_none")):
            report_of(reports, "q9-known", "predict_no_pooled")
            raise GradingError("`predict_no_pooled` refuses an artist it has a parameter for "
                               "as well: only an artist the no pooled model has no parameter "
                               "for should raise an error.")
        return
    report_of(reports, "q9-unseen", "predict_no_pooled")
    raise GradingError("`predict_no_pooled` returned predictions for an artist the no pooled "
                       "model has no parameter for; it should raise an error instead.")


@check("q9", points=3, public=True, probes=prediction_probes(
    "q9-predict_no_pooled", "predict_no_pooled", "no_pooled", PREDICTED))
def test_no_pooled_predictions(grading, reports):
    """no pooled predictions follow each artist's own mean"""
    check_predictions(grading, reports, "q9-predict_no_pooled", "predict_no_pooled",
                      "no_pooled", PREDICTED)
