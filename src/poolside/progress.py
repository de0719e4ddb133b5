"""Progress of a batch: a live bar on a terminal, one plain line per submission otherwise.

Logs, CI and pipes get lines they can read after the fact; a person at a terminal gets rich's
bar. Both report the same: how many are done, how many are running, how many were not graded.
"""

from __future__ import annotations

import sys
from typing import Callable

__all__ = ["Progress", "to_stderr"]


def to_stderr(text: str) -> None:
    """Write ``text`` to standard error as it comes (the batch's messages go there)."""
    print(text, end="", file=sys.stderr, flush=True)


class Progress:
    """Report ``total`` submissions as they finish.

    Parameters
    ----------
    total : int
        Submissions in the batch, already finished ones included.
    done : int
        Already finished (skipped because graded before).
    echo : callable, optional
        Where plain lines go. When None and standard error is a terminal, a rich bar is
        shown instead; when None otherwise, lines go to standard error.
    """

    def __init__(self, total: int, done: int = 0, echo: Callable[[str], None] | None = None,
                 running: int = 0):
        self.total, self.done, self.not_graded = total, done, 0
        self._echo = echo
        self._bar = None
        if echo is None and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar
            from rich.progress import TextColumn, TimeElapsedColumn, TimeRemainingColumn

            # What is running shows from the start, and the time left once one has finished.
            self._bar = Bar(TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[note]}"), TimeElapsedColumn(),
                            TextColumn("left"), TimeRemainingColumn(),
                            console=Console(stderr=True))
            self._task = self._bar.add_task("grading", total=total, completed=done,
                                            note=f"{running} running, 0 not graded")

    def __enter__(self) -> "Progress":
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()

    def finished(self, record: dict, running: int) -> None:
        """One submission finished with ``record`` (its name, status and scores)."""
        self.done += 1
        self.not_graded += record["status"] != "graded"
        note = f"{running} running, {self.not_graded} not graded"
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, note=note)
            return
        total = sum(record.get("scores", {}).values())
        line = (f"[{self.done}/{self.total}] {record['name']}: {record['status']}"
                + (f", {total:g} points" if record["status"] in ("graded", "timeout") else "")
                + f" ({note})\n")
        (self._echo or to_stderr)(line)
