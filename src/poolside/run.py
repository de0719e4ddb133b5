"""Grade one submission directly: the zip's runner on one file, no batch around it."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from . import grade
from .grading.limits import CELL_TIMEOUT, TIMEOUT
from .grading.sandbox import choose
from .intake import assignment_name, discover

__all__ = ["main", "format_scores"]


def main(submission: Path, autograder: Path | None = None, timeout: float = TIMEOUT,
         cell_timeout: int = CELL_TIMEOUT) -> dict:
    """Grade ``submission`` with the zip's own runner, as ``poolside grade`` grades each file
    of a batch but without the batch (no pool, no gradebook, no class report).

    Returns
    -------
    dict
        ``questions`` maps each autograded question to ``{"score", "possible", "feedback"}``
        (written answers are graded by hand), plus ``total``, ``possible``, ``status`` and
        ``reason``.
    """
    autograder = Path(autograder or Path("dist") / "autograder.zip").resolve()
    points = grade.question_points(autograder)
    expected = assignment_name(autograder)
    cache = grade.default_cache()
    sub = discover([submission])[0]
    with tempfile.TemporaryDirectory(prefix="poolside-run-") as tmp:
        files = grade.unpack(autograder, Path(tmp) / "autograder")
        if grade.gradable(sub, expected):
            grade.warm_cache(cache, lambda text: None, files, grade.cache_stamp(autograder))
        env = {**os.environ, **grade.grading_environment(cache)}
        record = grade.grade_one(sub, files, Path(tmp) / "out", "", expected, timeout,
                                 cell_timeout, {}, threading.Lock(), threading.Event(), env,
                                 choose().kind, cache)
    scores = record.get("scores") or {}
    questions = {}
    for q, p in points.items():
        failed = [c for c in record.get("checks", []) if c["question"] == q and not c["passed"]]
        questions[q] = {"score": min(max(float(scores.get(q, 0.0)), 0.0), p), "possible": p,
                        "feedback": "\n".join(f"failed: {c['name']} ({c['points']:g} pt)\n"
                                              f"    {c['message']}" for c in failed)}
    return {"questions": questions, "total": sum(v["score"] for v in questions.values()),
            "possible": sum(points.values()), "status": record["status"],
            "reason": record["reason"]}


def format_scores(scores: dict, feedback: bool = False) -> str:
    """The scores as a table; with ``feedback``, each question below full marks is followed by
    what its failed checks said."""
    lines = []
    for q, s in scores["questions"].items():
        lines.append(f"{q:>8}  {s['score']:g} / {s['possible']:g}")
        if feedback and s["score"] < s["possible"]:
            lines += [f"{'':>10}{line}" for line in s.get("feedback", "").splitlines()]
    lines.append(f"{'total':>8}  {scores['total']:g} / {scores['possible']:g}")
    if scores["status"] != "graded" or scores["reason"]:
        lines.append(f"{scores['status']}: {scores['reason']}")
    return "\n".join(lines)
