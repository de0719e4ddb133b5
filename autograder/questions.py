"""Every autograded test case: its question, its points, what it probes and how it is judged.

This is the registry. A :class:`Case` says which probes it needs (plan entries for
:mod:`poolside.grading.sandboxed.probes`, built from this grading's inputs) and judges their plain
reports in its verdict, raising :class:`~poolside.grading.feedback.GradingError` with a
student-facing message. Verdicts run in the grader's process and compare the reports only
with what the grader made itself (:class:`~autograder.context.Grading`) and the stored
references; nothing the student's side wrote is imported or executed.

To change an exercise: edit its cases here and its cell in the master notebook, then
``poolside build``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from poolside.grading import fit_check, model_check, plot_check
from poolside.grading.feedback import GradingError
from poolside.grading.registry import Case, Registry
from poolside.grading.sandboxed.probes import CALL_SECONDS

from . import predict_check
from .context import Grading, references

try:  # the notebook imports its helpers as top-level modules, and so does grading
    import prediction_check
    import public_checks
    from activity import NEW_ARTIST
except ImportError:  # imported from the repository without the assignment activated
    from assignment import prediction_check, public_checks
    from assignment.activity import NEW_ARTIST

WHAT, WORDING = public_checks.WHAT, public_checks.WORDING

from solutions.models import candidates

__all__ = ["REGISTRY", "CASES", "QUESTIONS", "CHOICES"]

QUESTION_OF = {"complete_pooled": "q3", "no_pooled": "q7", "hierarchical": "q11"}
CHOICES = ("complete pooled", "no pooled", "hierarchical")


# ---------------------------------------------------------------- reading reports

def _report(reports: dict, probe_id: str, what: str) -> dict:
    """The report of a probe that ran to the end, or the reason it did not."""
    report = reports.get(probe_id)
    outcome = report.get("outcome") if isinstance(report, dict) else None
    if outcome is None:
        raise GradingError(f"`{what}` could not be checked: the notebook stopped before the "
                           "check ran (see your notebook's last cells).")
    if outcome == "missing":
        raise GradingError(f"The notebook does not define `{what}`.")
    if outcome == "unwritten":
        raise GradingError(f"`{what}` is not written yet.")
    if outcome == "timeout":
        raise GradingError(f"`{what}` did not finish within {CALL_SECONDS:g} seconds; look "
                           "for a loop that never ends.")
    if outcome == "died":
        raise GradingError(f"The notebook's kernel stopped while `{what}` ran (for example "
                           "`os._exit` or a crash); that is where to look.")
    if outcome == "raised":
        if report.get("not_implemented"):
            raise GradingError(f"`{what}` is not written yet.")
        raise GradingError(f"`{what}` raised {str(report.get('error'))[:80]}: "
                           f"{str(report.get('message'))[:300]}")
    if outcome != "returned":
        raise GradingError(f"What `{what}` returned could not be read.")
    return report


def _table(reports: dict, probe_id: str, what: str, article: str) -> pd.DataFrame:
    return public_checks.table_of(_report(reports, probe_id, what), what, article)


def _axes(reports: dict, probe_id: str, what: str) -> plot_check.Shown:
    return public_checks.axes_of(_report(reports, probe_id, what), what)


def _call(probe_id: str, function: str, *args, returns: str, **kwargs) -> dict:
    return {"id": probe_id, "probe": "call", "function": function, "args": list(args),
            "kwargs": kwargs, "returns": returns}


# ---------------------------------------------------------------- models and fits

def _model_probe(g: Grading, kind: str) -> dict:
    key = g.model_points(kind)
    return {"id": f"model-{kind}", "probe": "model", "variable": f"{kind}_fit",
            "function": f"fit_{kind}", "points": key}


def _fitted(reports: dict, probe_id: str, kind: str) -> dict:
    report = reports.get(probe_id)
    if isinstance(report, dict) and report.get("outcome") == "missing":
        raise GradingError(f"`{kind}_fit` is missing: run the cell that calls "
                           f"`fit_{kind}(spotify)`.")
    if isinstance(report, dict) and report.get("outcome") == "unwritten":
        raise GradingError(f"`fit_{kind}` is not written yet.")
    report = _report(reports, probe_id, f"fit_{kind}")
    if not report.get("pair"):
        raise GradingError(f"`fit_{kind}` should return a tuple `(model, idata)`.")
    return report["value"]


def model_case(kind: str, points: float) -> Case:
    def verdict(g: Grading, reports: dict) -> None:
        described = _fitted(reports, f"model-{kind}", kind)
        model_check.check_model(described, candidates(kind, g.spotify),
                                g.spotify["popularity"].to_numpy(),
                                g.made(f"points-{kind}"), WHAT[kind], WORDING)
    # The notebook's public check compares the model with the same code (public_checks.py).
    return Case(QUESTION_OF[kind],
                f"the {WHAT[kind]} has the priors and likelihood asked for", points,
                lambda g: [_model_probe(g, kind)], verdict, public=True)


def fit_case(kind: str, points: float) -> Case:
    def plan(g: Grading) -> list[dict]:
        return [_model_probe(g, kind), {"id": f"fit-{kind}", "probe": "fit",
                                        "variable": f"{kind}_fit", "function": f"fit_{kind}"}]

    def verdict(g: Grading, reports: dict) -> None:
        described = _fitted(reports, f"model-{kind}", kind)
        references_ = candidates(kind, g.spotify)
        # The draws are traced to the model the exercise describes, which the grader can
        # evaluate itself: a fit is only as right as the model it samples.
        try:
            model_check.check_model(described, references_, g.spotify["popularity"].to_numpy(),
                                    g.made(f"points-{kind}"), WHAT[kind], WORDING)
        except GradingError:
            raise GradingError(f"The {WHAT[kind]} fit is checked once the model matches the "
                               "exercise: fix the model (see the model check), then sample "
                               "it again.") from None
        idata = fit_check.from_export(_fitted(reports, f"fit-{kind}", kind), g.artists,
                                      WHAT[kind])
        fit_check.check_summaries(idata, references()[kind], g.artists, WHAT[kind])
        # Provenance: the log-density the sampler recorded must be the reference model's at
        # the student's own draws, which no typed-in posterior has.
        reference = model_check.match_reference(described["free"], references_, WHAT[kind])
        fit_check.check_provenance(idata, reference.model, WHAT[kind], seed=g.seed_for(kind))
    return Case(QUESTION_OF[kind],
                f"the {WHAT[kind]}'s posterior comes from the model and matches the reference",
                points, plan, verdict)


# ---------------------------------------------------------------- plots

def _q2(g: Grading, reports: dict) -> None:
    public_checks.check_popularity_plot(_axes(reports, "plot_popularity", "plot_popularity"),
                                        g.spotify)


def _q6(g: Grading, reports: dict) -> None:
    what = "plot_popularity_by_artist"
    public_checks.check_by_artist_plot(_axes(reports, what, what), g.spotify, g.artists)


def _q10(g: Grading, reports: dict) -> None:
    what = "plot_artist_means"
    public_checks.check_artist_means_plot(_axes(reports, what, what), g.artist_means)


def _q5_intervals_plan(g: Grading) -> list[dict]:
    arg, _ = g.predictions("q5-intervals", "no_pooled", g.artists)
    return [_call("plot_predictive_intervals", "plot_predictive_intervals", arg,
                  g.frame("artist_means"), returns="axes")]


def _q5_intervals(g: Grading, reports: dict) -> None:
    what = "plot_predictive_intervals"
    public_checks.check_intervals_plot(_axes(reports, what, what), g.made("q5-intervals"),
                                       g.artist_means, what)


AREAS_NAMES = [NEW_ARTIST, "Beyoncé"]


def _q5_areas_plan(g: Grading) -> list[dict]:
    arg, _ = g.predictions("q5-areas", "hierarchical", AREAS_NAMES)
    return [_call("plot_predictive_areas", "plot_predictive_areas", arg, returns="axes")]


def _q5_areas(g: Grading, reports: dict) -> None:
    what = "plot_predictive_areas"
    public_checks.check_areas_plot(_axes(reports, what, what), g.made("q5-areas"))


#: How far the complete pooled stand-in is moved from the real fit's mu (either way): a line
#: drawn from the notebook's own predictions (about 58.4) instead of the argument is then at
#: least this far from the one asked for, not a few hundredths from it one grading in ten.
Q14_SHIFT = (6.0, 15.0)


def _q14_plan(g: Grading) -> list[dict]:
    hier, _ = g.predictions("q14-hierarchical", "hierarchical", g.artists)
    rng = np.random.default_rng(g.seed_for("q14-shift"))
    offset = rng.choice([-1.0, 1.0]) * rng.uniform(*Q14_SHIFT)
    complete, _ = g.predictions("q14-complete", "complete_pooled", g.artists[:3],
                                shift={"mu": offset})
    return [_call("plot_hierarchical_intervals", "plot_hierarchical_intervals", hier,
                  g.frame("artist_means"), complete, returns="axes")]


def _q14(g: Grading, reports: dict) -> None:
    what = "plot_hierarchical_intervals"
    public_checks.check_hierarchical_plot(_axes(reports, what, what),
                                          g.made("q14-hierarchical"), g.made("q14-complete"),
                                          g.artist_means)


# ---------------------------------------------------------------- predictions

def _predict_plan(probe_id, function, kind, names):
    def plan(g: Grading) -> list[dict]:
        arg, _ = g.posterior(probe_id, kind)
        # A seed unrelated to the stand-in's: the same seed would replay the posterior's own
        # normal draws as song noise and correlate the two.
        return [_call(probe_id, function, arg, list(names), returns="frame",
                      random_seed=g.seed_for(f"{probe_id}-call"))]
    return plan


def _predictions(g: Grading, reports, probe_id, function, names):
    table = _table(reports, probe_id, function, "the DataFrame of predictions")
    n = prediction_check.CHAINS * prediction_check.DRAWS
    predictions = prediction_check.require_predictions(table, names, n, function)
    draws = g.made(probe_id)
    return predictions, draws


def _check_against_reference(g: Grading, predictions, draws, kind, function, key):
    position = {a: i for i, a in enumerate(g.artists)}
    for i, name in enumerate(predictions.columns):
        centre, sd = predict_check.draw_parameters(draws, kind, position.get(name))
        prediction_check.check_predicted(predictions[name].to_numpy(float), centre, sd,
                                         g.seed_for(f"{key}-expected-{i}"), function, name)


def prediction_case(question, name, points, function, kind, names, extra=None) -> Case:
    probe_id = f"{question}-{function}"

    def verdict(g: Grading, reports: dict) -> None:
        predictions, draws = _predictions(g, reports, probe_id, function, names)
        if extra is not None:
            extra(predictions)
        _check_against_reference(g, predictions, draws, kind, function, probe_id)
    # The notebook's public check runs the same verdicts on a posterior stored next to it.
    return Case(question, name, points, _predict_plan(probe_id, function, kind, names), verdict,
                public=True)


def _new_artist_wider(predictions: pd.DataFrame) -> None:
    public_checks.check_new_artist_wider(predictions, NEW_ARTIST, "Beyoncé")


def _q9_unseen_plan(g: Grading) -> list[dict]:
    arg, _ = g.posterior("q9-unseen", "no_pooled")
    # The same call for an artist the model knows: refusing every artist is not refusing
    # the unseen one.
    known = g.artists[g.seed_for("q9-known") % len(g.artists)]
    return [_call("q9-unseen", "predict_no_pooled", arg, [NEW_ARTIST], returns="frame",
                  random_seed=g.seed_for("q9-unseen-call")),
            _call("q9-known", "predict_no_pooled", arg, [known], returns="frame",
                  random_seed=g.seed_for("q9-known-call"))]


def _q9_unseen(g: Grading, reports: dict) -> None:
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
            _report(reports, "q9-known", "predict_no_pooled")
            raise GradingError("`predict_no_pooled` refuses an artist it has a parameter for "
                               "as well: only an artist the no pooled model has no parameter "
                               "for should raise an error.")
        return
    _report(reports, "q9-unseen", "predict_no_pooled")
    raise GradingError("`predict_no_pooled` returned predictions for an artist the no pooled "
                       "model has no parameter for; it should raise an error instead.")


def _q15b_plan(g: Grading) -> list[dict]:
    arg, _ = g.predictions("q15b", "hierarchical", g.artists)
    return [_call("q15b", "shrinkage_table", g.frame("artist_means"), arg,
                  ["Sean Kingston", "Frank Ocean"], returns="frame")]


def _q15b(g: Grading, reports: dict) -> None:
    table = _table(reports, "q15b", "shrinkage_table", "the table")
    public_checks.check_shrinkage_table(table, g.artist_means, g.made("q15b"),
                                        ["Sean Kingston", "Frank Ocean"])


# The reference posterior, then one with sigma_mu halved: a function that reads the student's
# own fit instead of its argument passes the first and fails the second. Both stay close to the
# real posterior (wide=False): the worked pair's weights are the ones students see.
POOLING = (("q15d-first", 1.0, ""),
           ("q15d-second", 0.5,
            " (This was on a second posterior the grader made, with sigma_mu halved.)"))


def _q15d_plan(g: Grading) -> list[dict]:
    entries = []
    for key, factor, _ in POOLING:
        arg, _ = g.posterior(key, "hierarchical", wide=False, scale={"sigma_mu": factor})
        entries.append(_call(key, "pooling_weights", arg, g.frame("artist_means"),
                             returns="frame"))
    return entries


def _q15d(g: Grading, reports: dict) -> None:
    tables = [_table(reports, key, "pooling_weights", "the DataFrame of weights")
              for key, _, _ in POOLING]
    public_checks.check_pooling_weights(tables, [g.made(key) for key, _, _ in POOLING],
                                        [context for _, _, context in POOLING], g.artist_means)


# ---------------------------------------------------------------- multiple choice

def _choices(question, names):
    return lambda g: [{"id": f"choices-{question}", "probe": "values", "names": list(names)}]


def _answer(reports: dict, question: str, name: str, allowed) -> str:
    report = _report(reports, f"choices-{question}", name)
    value = (report.get("values") or {}).get(name)
    if not isinstance(value, str) or value not in allowed:
        raise GradingError(f"`{name}` should be one of {', '.join(map(repr, allowed))}.")
    return value


def choice_case(question, name, points, allowed, key, hint) -> Case:
    def verdict(g: Grading, reports: dict) -> None:
        if _answer(reports, question, question, allowed) != key:
            raise GradingError(f"`{question}` is not right yet. {hint}")
    return Case(question, name, points, _choices(question, [question]), verdict)


Q17 = {"q17_most_variable": "no pooled", "q17_least_variable": "complete pooled",
       "q17_most_biased": "complete pooled", "q17_least_biased": "no pooled"}


def _q17(g: Grading, reports: dict) -> None:
    answers = {name: _answer(reports, "q17", name, CHOICES) for name in Q17}
    wrong = sorted(n for n, v in answers.items() if v != Q17[n])
    if wrong:
        raise GradingError(f"{len(wrong)} of the four answers {'is' if len(wrong) == 1 else 'are'}"
                           f" not right yet ({', '.join(wrong)}).")


# ---------------------------------------------------------------- the registry

# ``public=True``: the notebook's public checks judge this with the same verdict (see
# public_checks.py), so Gradescope shows its result at once.

CASES: tuple[Case, ...] = (
    Case("q2", "the popularity plot counts every song and labels the axis", 2,
         lambda g: [_call("plot_popularity", "plot_popularity", g.frame("spotify"),
                          returns="axes")], _q2, public=True),
    model_case("complete_pooled", 2),
    fit_case("complete_pooled", 4),
    prediction_case("q5", "complete pooled predictions are centred and spread as the model "
                    "says", 2, "predict_complete_pooled", "complete_pooled",
                    [NEW_ARTIST, "Beyoncé", "Mia X"]),
    Case("q5", "the areas plot shades each artist's central 80%", 2, _q5_areas_plan,
         _q5_areas, public=True),
    Case("q5", "the intervals plot shows every artist's interval and observed mean", 2,
         _q5_intervals_plan, _q5_intervals, public=True),
    Case("q6", "the by-artist plot shows every artist's whole distribution", 2,
         lambda g: [_call("plot_popularity_by_artist", "plot_popularity_by_artist",
                          g.frame("spotify"), returns="axes")], _q6, public=True),
    model_case("no_pooled", 2),
    fit_case("no_pooled", 4),
    Case("q9", "the no pooled predictions refuse an unseen artist with a clear error", 2,
         _q9_unseen_plan, _q9_unseen),
    prediction_case("q9", "no pooled predictions follow each artist's own mean", 3,
                    "predict_no_pooled", "no_pooled", ["Mia X", "Beyoncé", "Sean Kingston"]),
    Case("q10", "the artist means plot counts every artist", 2,
         lambda g: [_call("plot_artist_means", "plot_artist_means", g.frame("artist_means"),
                          returns="axes")], _q10, public=True),
    model_case("hierarchical", 2),
    fit_case("hierarchical", 4),
    choice_case("q12", "q12 is answered correctly", 1, ("complete pooled", "no pooled",
                                                        "in between"), "in between",
                "Think about what partial pooling does."),
    prediction_case("q13", "hierarchical predictions handle new and known artists", 4,
                    "predict_hierarchical", "hierarchical", [NEW_ARTIST, "Beyoncé", "Mia X"],
                    extra=_new_artist_wider),
    Case("q14", "the hierarchical plot adds the complete pooled median, dashed", 2, _q14_plan,
         _q14, public=True),
    choice_case("q15a", "q15a is answered correctly", 1, ("typical", "extreme"), "extreme",
                "Compare the plot's intervals with the observed means at both ends of the "
                "axis."),
    Case("q15b", "the shrinkage table reports counts, means and shrinkage", 3, _q15b_plan,
         _q15b, public=True),
    Case("q15d", "pooling weights match the posterior given", 3, _q15d_plan, _q15d,
         public=True),
    Case("q17", "the q17 answers are right", 2, _choices("q17", Q17), _q17),
)

#: Points per autograded question, in the order the notebook asks them.
QUESTIONS: dict[str, float] = {}
for _case in CASES:
    QUESTIONS[_case.question] = QUESTIONS.get(_case.question, 0) + _case.points

#: What poolside grades with (``registry`` in poolside.toml names this module).
REGISTRY = Registry(CASES, QUESTIONS, Grading)
