"""The main job: build the assignment and grade the solution and the untouched stub."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from . import build, run

__all__ = ["main"]


def main(out: Path | None = None, echo: Callable[[str], None] = print) -> bool:
    """Return True when the solution earns full marks and the stub earns none."""
    built = build.main(out=out, check=False)
    for label, path in built.items():
        echo(f"built {label}: {path}")
    notebooks = {
        "solution": built["solution"],
        "untouched student notebook": built["student"] / built["solution"].name,
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {k: pool.submit(run.main, p, autograder=built["autograder"])
                   for k, p in notebooks.items()}
        scores = {k: f.result() for k, f in futures.items()}
    for label, result in scores.items():
        echo(f"\n{label}\n{run.format_scores(result)}")
    solution, stub = scores["solution"], scores["untouched student notebook"]
    return solution["total"] == solution["possible"] and stub["total"] == 0
