"""The main job: build the assignment and grade the example submissions."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from . import build, grade
from .examples import EXPECTED

__all__ = ["main"]


def main(out: Path | None = None, echo: Callable[[str], None] = print, jobs: int | None = None) -> bool:
    """Build ``dist/``, grade ``dist/examples`` into ``dist/grading``, print the table.

    Returns True when every example ends with the status it is meant to have, the correct
    notebook earns full marks and the untouched one earns none.
    """
    built = build.main(out=out, check=False)
    for label, path in built.items():
        echo(f"built {label}: {path}")
    grading = built["autograder"].parent / "grading"
    # The infinite-loop example is stopped after a minute, not five: it is a demonstration.
    table = grade.main([built["examples"]], grading, built["autograder"], jobs=jobs,
                       cell_timeout=60)
    shown = table.assign(file=table["file"].map(lambda f: Path(f).name))
    echo("\n" + shown.drop(columns=["reason"]).to_string(index=False))
    echo("\nreasons:\n" + "\n".join(f"  {f}: {r}" for f, r in zip(shown["file"], shown["reason"]) if r))
    echo(f"\ngrades.csv, summary.png and per-submission results: {grading}")
    status = dict(zip(shown["file"], shown["status"]))
    percent = dict(zip(shown["file"], shown["percent"]))
    return (all(status.get(name) == want for name, (want, _) in EXPECTED.items())
            and percent["correct.ipynb"] == 100 and percent["untouched.ipynb"] == 0)
