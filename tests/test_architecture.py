"""The arrows ARCHITECTURE.md draws: each part imports only the parts below it."""

from __future__ import annotations

import ast

import pytest

from poolside import paths

PROJECT = ("poolside", "autograder", "solutions", "assignment", "activity")
#: Which project packages each part may import (``activity`` is assignment/activity.py as it
#: sits next to the notebook at grading time).
ALLOWED = {
    "assignment": set(),
    "solutions": {"assignment", "activity"},
    "autograder": {"autograder", "solutions", "assignment", "activity"},
    "poolside": {"poolside", "autograder", "solutions", "assignment"},
}


def imported(path) -> set[str]:
    """Top-level project packages ``path`` imports (relative imports resolved to its own)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: stays inside its own package
                names.add(path.relative_to(paths.ROOT).parts[0])
            elif node.module:
                names.add(node.module.split(".")[0])
    return names & set(PROJECT)


def _files(part):
    files = sorted((paths.ROOT / part).glob("*.py"))
    assert files, part
    return files


@pytest.mark.parametrize("part", [p for p in ALLOWED if p != "autograder/sandboxed"])
def test_each_part_imports_only_the_parts_below_it(part):
    for path in _files(part):
        assert imported(path) <= ALLOWED[part], (path.name, imported(path) - ALLOWED[part])


def test_the_student_side_imports_nothing_of_the_project_but_itself():
    for path in _files("autograder/sandboxed"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, (path.name, "reaches above sandboxed/")
                assert node.level == 1 or not (node.module or "").startswith(PROJECT), path.name
            elif isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & set(PROJECT), path.name
