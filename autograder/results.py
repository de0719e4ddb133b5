"""Complete Otter's Gradescope ``results.json``: a top-level score and every test's status.

Otter leaves both optional fields out; Gradescope then sums the tests itself and shows no
pass/fail mark. Writing them makes the file self-describing and lets a local run be checked
against Gradescope's specification. Standalone (json only): the zip's ``run_autograder``
runs it after Otter, inside the grading environment.

    python results.py /autograder/results/results.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["complete"]


def complete(path: str | Path) -> dict:
    """Add ``score`` (sum of test scores) and per-test ``status``; rewrite the file."""
    path = Path(path)
    results = json.loads(path.read_text(encoding="utf-8"))
    tests = results.setdefault("tests", [])
    for test in tests:
        if "max_score" not in test:  # Otter's summary of public tests carries no points
            test.setdefault("score", 0.0)
            test.setdefault("max_score", 0.0)
        test.setdefault("visibility", "visible")
        test.setdefault("output", "")
        if "status" not in test:
            test["status"] = "passed" if test["score"] >= test["max_score"] else "failed"
    results.setdefault("score", float(sum(t["score"] for t in tests)))
    path.write_text(json.dumps(results, indent=4), encoding="utf-8")
    return results


if __name__ == "__main__":
    complete(sys.argv[1])
