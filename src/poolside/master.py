"""Keep the master notebook's hidden test cells in step with the registry.

The assignment's checks (the pytest package ``checks`` in its poolside.toml names) are the one
source for each autograded case: its question, name and points. Under each question's ``# BEGIN TESTS`` the
master notebook keeps its public tests as written and carries one hidden test cell per case,
generated here, which runs the case through
:meth:`poolside.grading.registry.Registry.check`. ``poolside build`` refuses a master whose
hidden cells differ from what the registry gives; :func:`sync` rewrites them::

    poolside sync [ASSIGNMENT]          (or python -m poolside.master [ASSIGNMENT])
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .grading.assignment import Assignment, load

__all__ = ["sync", "hidden_cell_source", "out_of_step", "QUESTION_MARKER"]

#: Otter's question marker; its group is the question's name.
QUESTION_MARKER = re.compile(r"^# BEGIN QUESTION\s*\nname:\s*(\S+)", re.MULTILINE)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def hidden_cell_source(case, assignment: Assignment) -> str:
    # Every top-level name the checks come from is read again from disk.
    names = sorted({"poolside", *assignment.module_names})
    return (
        '""" # BEGIN TEST CONFIG\n'
        f"points: {case.points:g}\n"
        "hidden: true\n"
        '""" # END TEST CONFIG\n'
        f"def test_{_slug(case.name)}(env):\n"
        "    # Import the checks afresh from disk. (Under plain `otter run` this still runs in\n"
        "    # the student's kernel; poolside grades outside it.)\n"
        "    import importlib, sys\n"
        f"    for name in [m for m in sys.modules if m.split('.')[0] in {tuple(names)!r}]:\n"
        "        del sys.modules[name]\n"
        "    from poolside.grading import checks\n"
        f"    checks.collect({assignment.checks!r}).check({case.name!r}, env)"
    )


def _is_hidden_test(cell) -> bool:
    source = "".join(cell["source"])
    return cell["cell_type"] == "code" and "# BEGIN TEST CONFIG" in source \
        and re.search(r"^hidden:\s*true", source, re.MULTILINE) is not None


_POINTS = re.compile(r"^points:.*$", re.MULTILINE)


def _with_points(cell: dict, source: str, points: float) -> dict:
    line = f"points: {points:g}"
    text = _POINTS.sub(line, source) if _POINTS.search(source) else source.rstrip("\n") + "\n" + line
    return {**cell, "source": text.splitlines(keepends=True)}


def sync(nb: dict, assignment: Assignment) -> dict:
    """``nb`` (notebook JSON) with every hidden test cell regenerated from the registry, and
    every autograded question's ``points`` set to the registry's."""
    registry = assignment.load_registry()
    cases = registry.cases

    cells, question = [], None
    pending: list = []
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        match = QUESTION_MARKER.search(source) if cell["cell_type"] == "raw" else None
        if match:
            question = match.group(1)
            if question in registry.questions:
                cell = _with_points(cell, source, registry.questions[question])
        if _is_hidden_test(cell):
            continue
        if cell["cell_type"] == "raw" and source.strip() == "# END TESTS" and question:
            for i, case in enumerate(c for c in cases if c.question == question):
                text = hidden_cell_source(case, assignment)
                pending.append({"cell_type": "code", "execution_count": None,
                                "id": f"hidden-{question}-{i}", "metadata": {}, "outputs": [],
                                "source": text.splitlines(keepends=True)})
            cells.extend(pending)
            pending = []
        cells.append(cell)
    return {**nb, "cells": cells}


def out_of_step(assignment: Assignment) -> bool:
    """Whether the master's hidden test cells or points differ from what the registry gives."""
    nb = json.loads(assignment.master.read_text(encoding="utf-8"))
    return sync(nb, assignment) != nb


def write(assignment: Assignment) -> None:
    """Rewrite the master's hidden test cells from the registry."""
    target = assignment.master
    notebook = sync(json.loads(target.read_text(encoding="utf-8")), assignment)
    target.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n",
                      encoding="utf-8")


if __name__ == "__main__":
    import sys

    write(load(sys.argv[1] if len(sys.argv) > 1 else "."))
