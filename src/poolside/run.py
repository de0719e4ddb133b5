"""Grade one submission, the way ``poolside grade`` grades each of a batch."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from . import grade
from .grading.limits import TIMEOUT

__all__ = ["main", "format_scores"]


def main(submission: Path, autograder: Path | None = None, timeout: float = TIMEOUT) -> dict:
    """Grade ``submission`` and return its scores.

    Returns
    -------
    dict
        ``questions`` maps each autograded question to ``{"score", "possible"}`` (written
        answers are graded by hand), plus ``total``, ``possible``, ``status`` and ``reason``.
    """
    autograder = Path(autograder or Path("dist") / "autograder.zip")
    points = grade.question_points(autograder)
    with tempfile.TemporaryDirectory(prefix="poolside-run-") as tmp:
        row = grade.main([submission], Path(tmp), autograder, jobs=1, timeout=timeout,
                         echo=lambda text: None).iloc[0]
        records = [json.loads(p.read_text()) for p in Path(tmp).glob(f"*/{grade.RECORD}")]
    tests = (records[0].get("gradescope") or {}).get("tests", []) if records else []
    feedback = {t["name"]: t.get("output", "") for t in tests}
    questions = {q: {"score": float(row[q]), "possible": p, "feedback": feedback.get(q, "")}
                 for q, p in points.items()}
    return {"questions": questions, "total": float(row["total"]),
            "possible": sum(points.values()), "status": row["status"], "reason": row["reason"]}


def format_scores(scores: dict, feedback: bool = False) -> str:
    """The scores as a table; with ``feedback``, each question below full marks is followed by
    what its failed checks said."""
    lines = []
    for q, s in scores["questions"].items():
        lines.append(f"{q:>8}  {s['score']:g} / {s['possible']:g}")
        if feedback and s["score"] < s["possible"]:
            lines += [f"{'':>10}{line}" for line in s.get("feedback", "").splitlines()
                      if not line.startswith("passed:")]
    lines.append(f"{'total':>8}  {scores['total']:g} / {scores['possible']:g}")
    if scores["status"] != "graded" or scores["reason"]:
        lines.append(f"{scores['status']}: {scores['reason']}")
    return "\n".join(lines)
