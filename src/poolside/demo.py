"""The main job: build an assignment and grade its example submissions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from . import build, grade
from .grading.assignment import Assignment

__all__ = ["main"]


def _as_expected(row, status: str, scores) -> bool:
    """Whether a graded row is what its example's expectation (the ``examples`` hook's
    ``(status, scores)``: ``{}`` full marks, ``"all zero"``, or the questions below full marks
    with their scores) says."""
    if row["status"] != status:
        return False
    if scores == {}:
        return row["percent"] == 100
    if scores == "all zero":
        return row["percent"] == 0
    if isinstance(scores, dict):
        return all(float(row[q]) == float(s) for q, s in scores.items())
    return True


def main(assignment: str | Path | Assignment = ".", out: Path | None = None,
         echo: Callable[[str], None] = print, jobs: int | None = None) -> bool:
    """Build the assignment, grade its ``examples`` into ``OUT/grading``, print the table.

    Returns True when every example is graded as the assignment's ``examples`` hook expects.
    """
    built = build.main(assignment, out=out, check=False)
    for label, path in built.items():
        echo(f"built {label}: {path}")
    if "examples" not in built:
        echo("this assignment has no examples hook: nothing to grade")
        return True
    expected = json.loads((built["examples"].parent / "examples.json").read_text())
    grading = built["autograder"].parent / "grading"
    # A looping example is stopped after a minute, not five: it is a demonstration.
    table = grade.main([built["examples"]], grading, built["autograder"], jobs=jobs,
                       cell_timeout=60)
    shown = table.assign(file=table["file"].map(lambda f: Path(f).name))
    # The examples have no students (their identity columns are blank), and each one's
    # feedback page is named below.
    echo("\n" + shown.drop(columns=["reason", "student_id", "name", "email", "feedback"])
         .fillna("").to_string(index=False))
    echo("\nreasons:\n" + "\n".join(f"  {f}: {r}" for f, r in zip(shown["file"], shown["reason"]) if r))
    echo(f"\ngrades.csv, report.html and a folder per submission (feedback.html): {grading}")
    rows = {row["file"]: row for _, row in shown.iterrows()}
    wrong = [name for name, (status, scores) in expected.items()
             if name not in rows or not _as_expected(rows[name], status, scores)]
    for name in wrong:
        echo(f"not as expected: {name} (expected {expected[name]})")
    return not wrong
