"""What the checks share: reading probe reports, building probe plans, judging models,
fits, predictions and answers.

The checks themselves are pytest tests in :mod:`autograder.checks`, one module per exercise;
this module holds the parts several of them use. Everything here runs in the grader's process
and compares the reports only with what the grader made itself
(:class:`~autograder.context.Grading`) and the stored references; nothing the student's side
wrote is imported or executed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from poolside.grading import fit_check, model_check, plot_check
from poolside.grading.feedback import GradingError
from poolside.grading.sandboxed.probes import CALL_SECONDS

__all__ = ["QUESTION_OF", "CHOICES", "NEW_ARTIST", "WHAT", "WORDING", "report_of", "table_of",
           "axes_of", "call", "model_probe", "fitted", "model_probes", "check_model",
           "fit_probes", "check_fit", "prediction_probes", "predictions_of",
           "check_against_reference", "check_predictions", "choice_probes", "answer_of",
           "check_choice"]

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

QUESTION_OF = {"complete_pooled": "q3", "no_pooled": "q7", "hierarchical": "q11"}
CHOICES = ("complete pooled", "no pooled", "hierarchical")


# ---------------------------------------------------------------- reading reports

def report_of(reports: dict, probe_id: str, what: str) -> dict:
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
                           f"{str(report.get('message'))[:300]}"
                           f"{_where(report.get('where'), report.get('called_with'))}")
    if outcome != "returned":
        raise GradingError(f"What `{what}` returned could not be read.")
    return report


def _where(where, called_with) -> str:
    """" (in `helper`, line 3 of its cell: `return y[x]`; called with artists=['Mia X'])": the
    line of the student's code the error passed through last and the call's plain arguments,
    as the student's side found them."""
    parts = []
    if isinstance(where, dict) and where.get("text"):
        parts.append(f"in `{str(where.get('function'))[:80]}`, line "
                     f"{str(where.get('line'))[:6]} of its cell: `{str(where['text'])[:120]}`")
    if isinstance(called_with, str) and called_with:
        parts.append(f"called with {called_with[:300]}")
    return f" ({'; '.join(parts)})" if parts else ""


def table_of(reports: dict, probe_id: str, what: str, article: str) -> pd.DataFrame:
    return public_checks.table_of(report_of(reports, probe_id, what), what, article)


def axes_of(reports: dict, probe_id: str, what: str) -> plot_check.Shown:
    return public_checks.axes_of(report_of(reports, probe_id, what), what)


def call(probe_id: str, function: str, *args, returns: str, **kwargs) -> dict:
    return {"id": probe_id, "probe": "call", "function": function, "args": list(args),
            "kwargs": kwargs, "returns": returns}


# ---------------------------------------------------------------- models and fits

def model_probe(g: Grading, kind: str) -> dict:
    key = g.model_points(kind)
    return {"id": f"model-{kind}", "probe": "model", "variable": f"{kind}_fit",
            "function": f"fit_{kind}", "points": key}


def fitted(reports: dict, probe_id: str, kind: str) -> dict:
    report = reports.get(probe_id)
    if isinstance(report, dict) and report.get("outcome") == "missing":
        raise GradingError(f"`{kind}_fit` is missing: run the cell that calls "
                           f"`fit_{kind}(spotify)`.")
    if isinstance(report, dict) and report.get("outcome") == "unwritten":
        raise GradingError(f"`fit_{kind}` is not written yet.")
    report = report_of(reports, probe_id, f"fit_{kind}")
    if not report.get("pair"):
        raise GradingError(f"`fit_{kind}` should return a tuple `(model, idata)`.")
    return report["value"]


def model_probes(kind: str):
    """The probes a model check needs: the model, described at this grading's test points."""
    return lambda g: [model_probe(g, kind)]


def _references(g: Grading, kind: str) -> list:
    """The accepted parameterisations of ``kind``, each model built once per grading (building
    one costs a quarter of a second, and the model and fit checks use the same ones)."""
    def make():
        built: dict = {}

        def once(i, factory):
            def build(offset):
                if (i, offset) not in built:
                    built[i, offset] = factory(offset)
                return built[i, offset]
            return build
        return [once(i, factory) for i, factory in enumerate(candidates(kind, g.spotify))]
    return g.once(("references", kind), make)


def _model_verdict(g: Grading, described: dict, kind: str) -> str | None:
    """Why the described model is not the exercise's (None when it is), judged once per
    grading: the model check and the fit check of an exercise both need it."""
    def judge():
        try:
            model_check.check_model(described, _references(g, kind),
                                    g.spotify["popularity"].to_numpy(),
                                    g.made(f"points-{kind}"), WHAT[kind], WORDING)
        except GradingError as err:
            return str(err)
        return None
    return g.once(("model verdict", kind), judge)


def check_model(g: Grading, reports: dict, kind: str) -> None:
    """The model is the one the exercise describes (the notebook's public check compares it
    with the same code, public_checks.py)."""
    verdict = _model_verdict(g, fitted(reports, f"model-{kind}", kind), kind)
    if verdict is not None:
        raise GradingError(verdict)


def fit_probes(kind: str):
    """The probes a fit check needs: the model and the fit's draws."""
    return lambda g: [model_probe(g, kind), {"id": f"fit-{kind}", "probe": "fit",
                                             "variable": f"{kind}_fit",
                                             "function": f"fit_{kind}"}]


def check_fit(g: Grading, reports: dict, kind: str) -> None:
    """The posterior was sampled from the described model and agrees with the reference."""
    described = fitted(reports, f"model-{kind}", kind)
    # The draws are traced to the model the exercise describes, which the grader can
    # evaluate itself: a fit is only as right as the model it samples.
    if _model_verdict(g, described, kind) is not None:
        raise GradingError(f"The {WHAT[kind]} fit is checked once the model matches the "
                           "exercise: fix the model (see the model check), then sample "
                           "it again.")
    idata = fit_check.from_export(fitted(reports, f"fit-{kind}", kind), g.artists,
                                  WHAT[kind])
    fit_check.check_summaries(idata, references()[kind], g.artists, WHAT[kind])
    # Provenance: the log-density the sampler recorded must be the reference model's at
    # the student's own draws, which no typed-in posterior has.
    reference = model_check.match_reference(described["free"], _references(g, kind),
                                            WHAT[kind])
    fit_check.check_provenance(idata, reference.model, WHAT[kind], seed=g.seed_for(kind))


# ---------------------------------------------------------------- predictions

def prediction_probes(probe_id, function, kind, names):
    """A prediction function called on a stand-in posterior the grader drew."""
    def plan(g: Grading) -> list[dict]:
        arg, _ = g.posterior(probe_id, kind)
        # A seed unrelated to the stand-in's: the same seed would replay the posterior's own
        # normal draws as song noise and correlate the two.
        return [call(probe_id, function, arg, list(names), returns="frame",
                      random_seed=g.seed_for(f"{probe_id}-call"))]
    return plan


def predictions_of(g: Grading, reports, probe_id, function, names):
    table = table_of(reports, probe_id, function, "the DataFrame of predictions")
    n = prediction_check.CHAINS * prediction_check.DRAWS
    predictions = prediction_check.require_predictions(table, names, n, function)
    draws = g.made(probe_id)
    return predictions, draws


def check_against_reference(g: Grading, predictions, draws, kind, function, key):
    position = {a: i for i, a in enumerate(g.artists)}
    for i, name in enumerate(predictions.columns):
        centre, sd = predict_check.draw_parameters(draws, kind, position.get(name))
        prediction_check.check_predicted(predictions[name].to_numpy(float), centre, sd,
                                         g.seed_for(f"{key}-expected-{i}"), function, name)


def check_predictions(g: Grading, reports: dict, probe_id: str, function: str, kind: str,
                      names, extra=None) -> None:
    """Each artist's predictions centred and spread as the stand-in posterior says (the
    notebook's public check runs the same verdicts on a posterior stored next to it)."""
    predictions, draws = predictions_of(g, reports, probe_id, function, names)
    if extra is not None:
        extra(predictions)
    check_against_reference(g, predictions, draws, kind, function, probe_id)


# ---------------------------------------------------------------- multiple choice

def choice_probes(question, names):
    return lambda g: [{"id": f"choices-{question}", "probe": "values", "names": list(names)}]


def answer_of(reports: dict, question: str, name: str, allowed) -> str:
    report = report_of(reports, f"choices-{question}", name)
    value = (report.get("values") or {}).get(name)
    if not isinstance(value, str) or value not in allowed:
        raise GradingError(f"`{name}` should be one of {', '.join(map(repr, allowed))}.")
    return value


def check_choice(reports: dict, question: str, allowed, key: str, hint: str) -> None:
    """A multiple-choice answer: one of ``allowed``, and ``key``."""
    if answer_of(reports, question, question, allowed) != key:
        raise GradingError(f"`{question}` is not right yet. {hint}")
