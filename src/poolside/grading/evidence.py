"""What a grading keeps so that it can be judged again without running the notebook.

The verdicts are computed from plain reports; the reports depend only on the notebook, the
probe plan with its inputs (drawn from the grading's seed), the code that runs on the
student's side, the files next to the notebook and the time limits. A grading stores its
reports (already checked and made plain) and the facts of its run with the *probe key*, a
fingerprint of all of these. Judging again with changed points, messages or verdicts reuses
them; when the key differs, the reports would not be what a new run gives, and the notebook is
run again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .sandboxed import wire

__all__ = ["probe_key", "save", "load", "Stale", "FOLDER"]

#: Where a local grading keeps its evidence, in the runner's working folder.
FOLDER = "evidence"
_SANDBOXED = Path(__file__).resolve().parent / "sandboxed"


class Stale(Exception):
    """Stored reports that a new run could answer differently: run the notebook again."""


def _files_digest(paths) -> str:
    hasher = hashlib.sha256()
    for path in paths:
        hasher.update(f"{path.name}\0".encode())
        hasher.update(path.read_bytes())
    return hasher.hexdigest()


def probe_key(entries: list[dict], inputs: dict, student_files, cell_timeout: int,
              timeout: float) -> str:
    """The fingerprint of everything that decides what the probes report."""
    code = sorted(p for p in _SANDBOXED.rglob("*.py") if "__pycache__" not in p.parts)
    parts = [wire.fingerprint({"plan": entries, "inputs": inputs}), _files_digest(code),
             _files_digest(sorted(map(Path, student_files))), f"{int(cell_timeout)} {timeout:g}"]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def save(folder: Path, facts: dict, reports: dict) -> None:
    """Store a grading's facts (seed, probe key, the run) and its reports in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    wire.dump(reports, folder, "reports")
    wire.dump(facts, folder, "facts")  # last: its presence marks the evidence complete


def load(folder: Path) -> tuple[dict, dict]:
    """The facts and reports :func:`save` stored; :class:`Stale` when they are absent."""
    try:
        # the grader's own files: all of a grading's reports together may pass one
        # report's limit
        facts, reports = wire.load(folder, "facts", None), wire.load(folder, "reports", None)
    except wire.WireError as err:
        raise Stale(f"no stored reports ({err})") from None
    if not isinstance(facts, dict) or not isinstance(reports, dict):
        raise Stale("stored reports unreadable")
    return facts, reports
