"""Rescore without running: judge stored reports again when only the judging changed.

A graded submission's folder keeps the reports its probes gave and the facts of its run
(:mod:`poolside.grading.evidence`). When the autograder changes, ``poolside grade`` first
asks the new zip's runner to judge those again, all submissions in one process (seconds for a
class); a submission whose stored reports a new run could answer differently (the probes,
their inputs, the student's side or the limits changed) is said to be stale and is run again.
Either way the batch says what changed: "3 submissions changed score; 2 lost points on q15b".
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Callable

from .grading.evidence import FOLDER as EVIDENCE

__all__ = ["possible", "rescore", "changes"]

STALE = "stale.txt"  # as poolside.grading.runner writes it


def possible(previous: dict, folder: Path, sha256: str) -> bool:
    """Whether ``previous`` (a record of this same file) can be judged again from its folder."""
    return (previous.get("status") in ("graded", "timeout")
            and str(previous.get("key", "")).split(":")[0] == sha256
            and (Path(folder) / EVIDENCE / "facts.json").is_file())


def _own_copy(folder: Path, scratch: Path) -> Path:
    """A copy of a submission's evidence to judge in (the stored one stays as it was)."""
    target = scratch / folder.name
    shutil.copytree(folder / EVIDENCE, target)
    return target


def rescore(again: list[tuple], out: Path, files: Path, env: dict, cell_timeout: int,
            timeout: float, echo: Callable[[str], None]) -> tuple[list[dict], list[tuple]]:
    """Judge each ``(submission, key, previous record)`` of ``again`` with the unpacked zip
    ``files``; return the new records and the ``(submission, key)`` pairs to run again."""
    import tempfile

    from .grade import read_outcome  # the record fields the runner decides, read one way

    with tempfile.TemporaryDirectory(prefix="poolside-rescore-") as scratch:
        stores = [_own_copy(out / sub.name, Path(scratch)) for sub, _, _ in again]
        command = [sys.executable, "-m", "poolside.grading.runner", "--rejudge",
                   *map(str, stores), "--assignment", str(files),
                   "--cell-timeout", str(cell_timeout), "--timeout", str(timeout)]
        done = subprocess.run(command, cwd=files, env=env, capture_output=True, text=True)
        records, stale, reasons = [], [], Counter()
        for (sub, key, previous), store in zip(again, stores):
            outcome = read_outcome(store) if done.returncode == 0 else None
            if outcome is None:
                why = (store / STALE).read_text() if (store / STALE).is_file() else (
                    f"the runner could not judge it ({_last_line(done.stderr)})")
                reasons[why] += 1
                stale.append((sub, key))
                continue
            record = {**previous, **outcome, "key": key, "rescored": True}
            records.append(record)
    if records:
        echo(f"rescored {len(records)} submission(s) from their stored reports, without "
             "running them: " + changes([p for _, _, p in again], records) + "\n")
    for why, count in reasons.items():
        echo(f"{count} submission(s) are run again: {why}\n")
    return records, stale


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:160] if lines else "no message"


def changes(before: list[dict], after: list[dict]) -> str:
    """What a rescore changed, in one line ("3 submissions changed score; 2 lost points on
    q15b; 1 gained points on q3; 4 got different feedback"); ``before`` and ``after`` are
    records matched by name."""
    old = {r["name"]: r.get("scores") or {} for r in before}
    said = {r["name"]: [c.get("message") for c in r.get("checks") or []] for r in before}
    changed, lost, gained, reworded = 0, Counter(), Counter(), 0
    for record in after:
        previous, now = old.get(record["name"], {}), record.get("scores") or {}
        reworded += said.get(record["name"]) != [c.get("message")
                                                 for c in record.get("checks") or []]
        moved = False
        for question in dict.fromkeys([*previous, *now]):
            a, b = float(previous.get(question, 0.0)), float(now.get(question, 0.0))
            if b < a:
                lost[question] += 1
            elif b > a:
                gained[question] += 1
            moved = moved or a != b
        changed += moved
    parts = [f"{changed} submission(s) changed score"]
    parts += [f"{n} lost points on {q}" for q, n in lost.most_common()]
    parts += [f"{n} gained points on {q}" for q, n in gained.most_common()]
    if reworded:
        parts.append(f"{reworded} got different feedback")
    return "; ".join(parts)
