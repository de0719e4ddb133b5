"""Run the registry's cases: plan the probes, judge the reports, score each question.

The same functions serve every way of grading. :func:`check` runs a case's probes in the
calling process (Otter's test cases, ``otter run``, the unit tests); :mod:`autograder.runner`
runs the plan in the sandbox and judges the reports with :func:`judge`.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from .context import Grading
from .feedback import GradingError
from .questions import CASES, QUESTIONS, Case
from .sandboxed import probes, wire

__all__ = ["plan", "judge", "check", "case", "score", "QUESTIONS"]


def case(name: str) -> Case:
    """The case whose ``name`` is given (as in the master notebook's test cells)."""
    for c in CASES:
        if c.name == name:
            return c
    raise KeyError(f"no test case named {name!r}")


def plan(grading: Grading, cases=CASES) -> list[dict]:
    """Every probe the cases need, each once, in the order of the cases."""
    entries, seen = [], set()
    for c in cases:
        for entry in c.plan(grading):
            if entry["id"] not in seen:
                seen.add(entry["id"])
                entries.append(entry)
    return entries


def judge(grading: Grading, reports: dict, cases=CASES) -> list[dict]:
    """One result per case: ``question``, ``name``, ``points``, ``passed`` and ``message``.

    A verdict that fails for any reason other than a :class:`GradingError` (a report shaped
    in a way no check foresaw) fails its case with a plain message; it never stops grading.
    """
    results = []
    for c in cases:
        try:
            c.verdict(grading, reports)
            passed, message = True, ""
        except GradingError as err:
            passed, message = False, str(err)
        except Exception as err:  # noqa: BLE001 - a forged report must not crash the grader
            passed, message = False, (f"This check could not read what your code produced "
                                      f"({type(err).__name__}).")
            traceback.print_exc()
        results.append({"question": c.question, "name": c.name, "points": c.points,
                        "passed": passed, "message": message})
    return results


def score(results: list[dict]) -> dict[str, float]:
    """Points per question: the passed cases' points, never more than the question's."""
    scores = {q: 0.0 for q in QUESTIONS}
    for r in results:
        if r["passed"]:
            scores[r["question"]] += r["points"]
    return {q: min(s, QUESTIONS[q]) for q, s in scores.items()}


def check(name: str, env: dict, seed: int | None = 0) -> None:
    """Run the case ``name`` against ``env`` in this process; raise its GradingError.

    The probes' reports cross :func:`wire.roundtrip` as they would cross the sandbox, so
    this path judges exactly what the sandboxed one would.
    """
    c = case(name)
    grading = Grading(seed)
    entries = plan(grading, [c])
    inputs = wire.roundtrip(grading.inputs)
    reports = {}
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    try:
        for entry in entries:
            reports[entry["id"]] = wire.roundtrip(probes.probe(entry, env, inputs))
    finally:
        for number in set(plt.get_fignums()) - before:
            plt.close(number)
    result = judge(grading, reports, [c])[0]
    if not result["passed"]:
        raise GradingError(result["message"])


def write_inputs(grading: Grading, entries: list[dict], folder: Path, notebook: str,
                 cell_timeout: int) -> None:
    """The plan and inputs the sandboxed side reads (:mod:`autograder.sandboxed.execute`)."""
    wire.dump({"notebook": notebook, "cell_timeout": int(cell_timeout), "probes": entries},
              folder, "plan")
    wire.dump(grading.inputs, folder, "inputs")
