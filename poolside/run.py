"""Grade one submission with ``otter run`` (no Docker) and read back its scores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from . import paths

__all__ = ["main", "format_scores", "GRADING_ENV"]

#: Allocator settings for the grading processes: one malloc arena that hands freed memory
#: back to the system. Measured (benchmarks/grade_one.py) to lower the peak memory of a
#: full grading run by about 50 MB; the build writes the same into the zip's run_autograder.
GRADING_ENV = {"MALLOC_ARENA_MAX": "1", "MALLOC_TRIM_THRESHOLD_": "1000000"}


def main(submission: Path, autograder: Path | None = None, timeout: float = 900) -> dict:
    """Run the autograder on ``submission`` and return its scores.

    Returns
    -------
    dict
        ``questions`` maps each question to ``{"score", "possible"}`` (autograded questions
        only; written answers are graded by hand), plus ``total`` and ``possible``.
    """
    autograder = Path(autograder or paths.DIST / "autograder.zip")
    with tempfile.TemporaryDirectory(prefix="poolside-run-") as tmp:
        completed = subprocess.run(
            [sys.executable, "-m", "otter", "run", "-a", str(Path(autograder).resolve()),
             "-o", tmp, str(Path(submission).resolve())],
            capture_output=True, text=True, timeout=timeout, cwd=tmp,
            env={**os.environ, **GRADING_ENV},
        )
        results_path = Path(tmp) / "results.json"
        if not results_path.exists():
            raise RuntimeError(f"otter run produced no results:\n{completed.stdout}\n"
                               f"{completed.stderr}")
        results = json.loads(results_path.read_text())
    return scores_from_results(results)


def scores_from_results(results: dict) -> dict:
    """Per-question scores from Otter's Gradescope-format ``results.json``."""
    questions: dict[str, dict[str, float]] = {}
    for test in results.get("tests", []):
        name = test.get("name", "")
        if test.get("max_score") is None:  # Otter's summary of public tests, not a question
            continue
        question = name.split(" - ")[0].split(" results")[0].strip()
        entry = questions.setdefault(question, {"score": 0.0, "possible": 0.0, "output": ""})
        entry["score"] += float(test.get("score") or 0)
        entry["possible"] += float(test.get("max_score") or 0)
        entry["output"] += test.get("output", "") or ""
    total = sum(q["score"] for q in questions.values())
    possible = sum(q["possible"] for q in questions.values())
    return {"questions": questions, "total": total, "possible": possible, "raw": results}


def format_scores(scores: dict) -> str:
    lines = [f"{q:>8}  {s['score']:g} / {s['possible']:g}" for q, s in scores["questions"].items()]
    lines.append(f"{'total':>8}  {scores['total']:g} / {scores['possible']:g}")
    return "\n".join(lines)
