"""An assignment's autograded cases, and the one way they are run: plan, judge, score.

A :class:`Registry` is what :func:`poolside.grading.checks.collect` makes of an assignment's
checks (pytest tests, the package ``checks`` in its ``poolside.toml`` names): one
:class:`Case` per check, the points of each question, and the
:class:`~poolside.grading.context.Context` subclass a grading makes. The same methods serve
every way of grading: :mod:`poolside.grading.runner` plans the probes, runs them in the
sandbox and judges the reports (the checks run as a pytest session); :meth:`Registry.check`
runs one case's probes in the calling process (the master notebook's hidden test cells under
``otter run``, and the unit tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

from .context import Context
from .feedback import GradingError
from .sandboxed import probes, wire

__all__ = ["Case", "Registry", "write_inputs", "plain_report"]


@dataclass(frozen=True)
class Case:
    """One check: ``points`` for ``question`` when its test (``target``) passes.

    ``plan(grading)`` returns the probe entries the case needs (entries with the same ``id``
    are run once); the test, collected by :mod:`poolside.grading.checks`, judges the reports.
    ``public`` says that a public check gives the student this same verdict before they
    submit: its result is shown at once on Gradescope, the others once grades are published.
    """

    question: str
    name: str
    points: float
    plan: Callable[[Context], list[dict]]
    public: bool = False
    #: Its test, as pytest names it (its node id).
    target: str | None = None


class Registry:
    """Every autograded case of an assignment.

    Parameters
    ----------
    cases : sequence of Case
    questions : mapping
        Points of each autograded question; a question never scores more than this.
    context : type
        The :class:`~poolside.grading.context.Context` subclass made for each grading.
    """

    def __init__(self, cases: Sequence[Case], questions: Mapping[str, float],
                 context: type[Context], folder: Path | None = None):
        unknown = sorted({c.question for c in cases} - set(questions))
        if unknown:
            raise ValueError(f"cases for questions without points: {unknown}")
        self.cases = tuple(cases)
        self.questions = dict(questions)
        self.context = context
        self.folder = folder  # the checks package, for cases that are pytest tests

    def case(self, name: str) -> Case:
        """The case whose ``name`` is given (as in the master notebook's test cells)."""
        for c in self.cases:
            if c.name == name:
                return c
        raise KeyError(f"no test case named {name!r}")

    def plan(self, grading: Context, cases: Sequence[Case] | None = None) -> list[dict]:
        """Every probe the cases need, each once, in the order of the cases.

        Raises
        ------
        ValueError
            For an entry no probe can run (an unknown ``probe`` or ``returns``): a mistake in
            the registry, said when the plan is made rather than as a silent zero.
        """
        entries, seen = [], set()
        for c in self.cases if cases is None else cases:
            for entry in c.plan(grading):
                _check_entry(entry, c.name, grading.inputs)
                if entry["id"] not in seen:
                    seen.add(entry["id"])
                    entries.append(entry)
        return entries

    def judge(self, grading: Context, reports: dict,
              cases: Sequence[Case] | None = None,
              why_missing: Callable[[str], str | None] | None = None) -> list[dict]:
        """One result per case: ``question``, ``name``, ``points``, ``passed``, ``message`` and
        ``unanswered`` (every probe of the case found the stub handed out, or an answer left
        as ``...``: the student did not try it, as opposed to trying and getting it wrong).

        A verdict that fails for any reason other than a :class:`GradingError` (a report shaped
        in a way no check foresaw) fails its case with a plain message; it never stops grading.
        ``why_missing(name)`` may say why a function or variable a failed case's probe found
        missing is not defined (the cell that raised): it is added to that case's message.
        """
        results = []
        cases = list(self.cases if cases is None else cases)
        from . import checks

        outcomes = checks.run(self, grading, reports, cases) if cases else {}
        for c in cases:
            outcome = outcomes[c.target]
            passed = outcome["outcome"] == "passed"
            message, error = outcome.get("message", ""), outcome.get("error")
            if not passed and why_missing is not None:
                message = " ".join([message, *_reasons(c, grading, reports, why_missing)])
            result = {"question": c.question, "name": c.name, "points": c.points,
                      "passed": passed, "message": message, "public": c.public,
                      "unanswered": not passed and _unanswered(c, grading, reports)}
            if error is not None:
                result["error"] = error
            results.append(result)
        return results

    def score(self, results: list[dict]) -> dict[str, float]:
        """Points per question: the passed cases' points, never more than the question's."""
        scores = {q: 0.0 for q in self.questions}
        for r in results:
            if r["passed"]:
                scores[r["question"]] += r["points"]
        return {q: min(s, self.questions[q]) for q, s in scores.items()}

    def check(self, name: str, env: dict, seed: int | None = 0) -> None:
        """Run the case ``name`` against ``env`` in this process; raise its GradingError.

        The probes' reports cross :func:`wire.roundtrip` as they would cross the sandbox, so
        this path judges exactly what the sandboxed one would.
        """
        c = self.case(name)
        grading = self.context(seed)
        entries = self.plan(grading, [c])
        inputs = wire.roundtrip(grading.inputs)
        reports = {}
        import matplotlib.pyplot as plt

        before = set(plt.get_fignums())
        try:
            for entry in entries:
                reports[entry["id"]] = plain_report(
                    entry, wire.roundtrip(probes.probe(entry, env, inputs)))
        finally:
            for number in set(plt.get_fignums()) - before:
                plt.close(number)
        result = self.judge(grading, reports, [c])[0]
        if not result["passed"]:
            raise GradingError(result["message"])


def _untouched(report) -> bool:
    if not isinstance(report, dict):
        return False
    if report.get("outcome") == "unwritten":
        return True
    values = report.get("values")
    return isinstance(values, dict) and bool(values) and all(
        v == {"type": "ellipsis"} for v in values.values())


def _unanswered(case: Case, grading: Context, reports: dict) -> bool:
    try:
        entries = case.plan(grading)
    except Exception:  # noqa: BLE001 - the plan ran once already; this only labels a failure
        return False
    return bool(entries) and all(_untouched(reports.get(e["id"])) for e in entries)


def _reasons(case: Case, grading: Context, reports: dict, why_missing) -> list[str]:
    reasons = []
    for entry in case.plan(grading):
        report = reports.get(entry["id"])
        if isinstance(report, dict) and report.get("outcome") == "missing":
            name = entry.get("variable") if entry.get("probe") in ("model", "fit") \
                else entry.get("function")
            why = why_missing(str(name))
            if why and why not in reasons:
                reasons.append(why)
    return reasons


def _check_entry(entry: dict, case: str, inputs: dict) -> None:
    kind = entry.get("probe")
    if kind not in probes.PROBES:
        raise ValueError(f"case {case!r}: unknown probe {kind!r}; use one of {probes.PROBES}")
    if kind == "call" and entry.get("returns") not in probes.RETURNS:
        raise ValueError(f"case {case!r}: a call probe returns one of {probes.RETURNS}, "
                         f"not {entry.get('returns')!r}")
    if "id" not in entry:
        raise ValueError(f"case {case!r}: every plan entry needs an `id`")
    # Every input the probe will look up must exist: a missing one would fail inside the
    # student's kernel and read as the student's error.
    wanted = [a["input"] for a in [*entry.get("args", []), *entry.get("kwargs", {}).values()]
              if isinstance(a, dict) and "input" in a]
    if kind == "model":
        wanted += [entry.get("points"), entry.get("labels", probes.LABELS)]
    missing = [key for key in wanted if key not in inputs]
    if missing:
        raise ValueError(f"case {case!r}: the probe {entry['id']!r} needs inputs the context "
                         f"did not make: {missing}")


def _type_note(value) -> bool:
    return type(value) is dict and list(value) == ["type"] and type(value["type"]) is str


def plain_report(entry: dict, report):
    """``report`` with what must be plain data made plain again, on the grader's side.

    The student's side describes values as plain types, but its reports are written where the
    student's code runs and could be forged: a ``values`` answer that is not a ``str``, or a
    ``value`` return that is not a bool, int, float or str, is replaced by its type's name.
    """
    if not isinstance(report, dict):
        return report
    if entry.get("probe") == "values" and isinstance(report.get("values"), dict):
        report = {**report, "values": {
            k: v if type(v) is str or _type_note(v) else {"type": type(v).__name__}
            for k, v in report["values"].items()}}
    if entry.get("probe") == "call" and entry.get("returns") == "value" \
            and isinstance(report.get("value"), dict) and report["value"].get("type_ok"):
        value = report["value"].get("value")
        if type(value) not in (bool, int, float, str):
            report = {**report, "value": {"type_ok": False, "type": type(value).__name__}}
    return report


def write_inputs(grading: Context, entries: list[dict], folder: Path, notebook: str,
                 cell_timeout: int, cells_until: float | None = None) -> None:
    """The plan and inputs the sandboxed side reads (:mod:`poolside.grading.sandboxed.execute`):
    ``cells_until`` is when (seconds from its start) the notebook's cells must stop so that
    the probes still have their time."""
    wire.dump({"notebook": notebook, "cell_timeout": int(cell_timeout), "probes": entries,
               "cells_until": None if cells_until is None else float(cells_until)},
              folder, "plan")
    wire.dump(grading.inputs, folder, "inputs")
