"""Keep the master notebook's hidden test cells in step with the registry.

The registry (:mod:`autograder.questions`) is the one source for each autograded case: its
question, name and points. Under each question's ``# BEGIN TESTS`` the master notebook keeps its
public tests as written and carries one hidden test cell per case, generated here, which runs
the case through :func:`autograder.registry.check`. ``poolside build`` refuses a master whose
hidden cells differ from what the registry gives; :func:`sync` rewrites them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

__all__ = ["sync", "hidden_cell_source", "out_of_step"]

_QUESTION = re.compile(r"^# BEGIN QUESTION\s*\nname:\s*(\S+)", re.MULTILINE)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def hidden_cell_source(case) -> str:
    return (
        '""" # BEGIN TEST CONFIG\n'
        f"points: {case.points:g}\n"
        "hidden: true\n"
        '""" # END TEST CONFIG\n'
        f"def test_{_slug(case.name)}(env):\n"
        "    # Read the checks again from disk, so nothing the notebook changed in memory counts.\n"
        "    import importlib, sys\n"
        "    for name in [m for m in sys.modules if m.split('.')[0] in ('autograder', 'solutions')]:\n"
        "        del sys.modules[name]\n"
        f"    importlib.import_module('autograder.registry').check({case.name!r}, env)"
    )


def _is_hidden_test(cell) -> bool:
    source = "".join(cell["source"])
    return cell["cell_type"] == "code" and "# BEGIN TEST CONFIG" in source \
        and re.search(r"^hidden:\s*true", source, re.MULTILINE) is not None


def sync(nb: dict) -> dict:
    """``nb`` (notebook JSON) with every hidden test cell regenerated from the registry."""
    from autograder.questions import CASES

    cells, question = [], None
    pending: list = []
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        match = _QUESTION.search(source) if cell["cell_type"] == "raw" else None
        if match:
            question = match.group(1)
        if _is_hidden_test(cell):
            continue
        if cell["cell_type"] == "raw" and source.strip() == "# END TESTS" and question:
            for i, case in enumerate(c for c in CASES if c.question == question):
                text = hidden_cell_source(case)
                pending.append({"cell_type": "code", "execution_count": None,
                                "id": f"hidden-{question}-{i}", "metadata": {}, "outputs": [],
                                "source": text.splitlines(keepends=True)})
            cells.extend(pending)
            pending = []
        cells.append(cell)
    return {**nb, "cells": cells}


def out_of_step(path: Path) -> bool:
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    return sync(nb) != nb


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1])
    notebook = sync(json.loads(target.read_text(encoding="utf-8")))
    target.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n",
                      encoding="utf-8")
