"""The arrows ARCHITECTURE.md draws: each part imports only the parts below it."""

from __future__ import annotations

import ast

import pytest

from tests import project as paths

SRC = paths.ROOT / "src"
#: Top-level names of the project: the package, and the example assignment's parts
#: (``activity``, ``public_checks`` and ``pooling_check`` are assignment/'s modules as the
#: notebook imports them, next to it).
PROJECT = ("poolside", "autograder", "solutions", "assignment", "activity", "public_checks",
           "pooling_check", "prediction_check")
#: Which project modules each part may import, as dotted prefixes.
ALLOWED = {
    # the package: the engine knows no tool and no assignment; the tool knows no assignment
    "src/poolside/grading": {"poolside.grading"},
    "src/poolside": {"poolside"},
    # the example assignment: what students get uses only the engine (shipped to them for the
    # public checks), its grading code the engine too, never the tool
    "assignment": {"poolside.grading", "assignment", "pooling_check", "prediction_check"},
    "autograder": {"poolside.grading", "autograder", "solutions", "assignment", "activity",
                   "public_checks", "pooling_check", "prediction_check"},
    "solutions": {"poolside", "solutions", "assignment", "activity"},
}


def imported(path, src=SRC) -> set[str]:
    """Project modules ``path`` imports, dotted (relative imports resolved against ``src``
    for files under it, else the repository)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(src if src in path.parents else paths.ROOT).parts[:-1])
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            # ``from a import b`` may import the module a.b: count it as such
            names |= {f"{module}.{alias.name}" for alias in node.names}
    return {n for n in names if n.split(".")[0] in PROJECT}


def _allowed(name: str, prefixes: set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _files(part):
    files = sorted((paths.ROOT / part).glob("*.py"))
    assert files, part
    return files


@pytest.mark.parametrize("part", list(ALLOWED))
def test_each_part_imports_only_the_parts_below_it(part):
    for path in _files(part):
        wrong = {n for n in imported(path) if not _allowed(n, ALLOWED[part])}
        assert not wrong, (path.name, wrong)


def test_the_student_side_imports_nothing_of_the_project_but_itself():
    for path in _files("src/poolside/grading/sandboxed"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, (path.name, "reaches above sandboxed/")
                assert node.level == 1 or not (node.module or "").startswith(PROJECT), path.name
            elif isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & set(PROJECT), path.name


def test_a_reversed_arrow_is_caught(tmp_path):
    """The check itself can fail: an engine module that imports the tool is refused."""
    bad = tmp_path / "src" / "poolside" / "grading" / "reversed.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("from poolside import cli\nfrom .. import build\nimport numpy\n")
    found = imported(bad, tmp_path / "src")
    assert found == {"poolside.cli", "poolside.build"}
    assert {n for n in found if not _allowed(n, ALLOWED["src/poolside/grading"])} == found
