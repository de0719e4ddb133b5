"""Grade one submission, the way ``poolside grade`` grades each of a batch."""

from __future__ import annotations

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
    questions = {q: {"score": float(row[q]), "possible": p} for q, p in points.items()}
    return {"questions": questions, "total": float(row["total"]),
            "possible": sum(points.values()), "status": row["status"], "reason": row["reason"]}


def format_scores(scores: dict) -> str:
    lines = [f"{q:>8}  {s['score']:g} / {s['possible']:g}" for q, s in scores["questions"].items()]
    lines.append(f"{'total':>8}  {scores['total']:g} / {scores['possible']:g}")
    if scores["status"] != "graded" or scores["reason"]:
        lines.append(f"{scores['status']}: {scores['reason']}")
    return "\n".join(lines)
