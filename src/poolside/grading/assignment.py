"""An assignment folder, as its ``poolside.toml`` describes it.

Every command works on a folder that holds a ``poolside.toml``; the folder ships as it is laid
out, and nothing else is guessed. Paths in the file are relative to its folder::

    [assignment]
    name = "spotify-hierarchical"          # Otter's assignment name; submissions must match
    master = "assignment/hierarchical.ipynb"
    helpers = ["assignment/activity.py"]   # modules the notebook imports (next to it)
    data = ["data/spotify.csv"]            # data the notebook reads (next to it)
    checks = "autograder.checks"           # the package of hidden checks (pytest tests; see
                                           # poolside.grading.checks)
    grading = ["autograder", "solutions/models.py", "solutions/reference.json"]
                                           # what the checks need, shipped in the zip
    references = "solutions/reference.json"  # optional: stored reference results
    environment = "assignment/requirements.txt"  # optional: the grading lock

    [student]                              # optional: the student bundle's environment
    environment = "assignment/student-requirements.txt"
    install_guide = "assignment/INSTALL.md"

    [hooks]                                # optional: "module:function", importable here
    warm = "autograder.warm:warm"          # compile what grading compiles (a cache)
    examples = "solutions.examples:write_examples"   # example submissions for the demo

The build writes a copy into ``autograder.zip`` with the paths as they are laid out there
(:meth:`Assignment.shipped`), so the runner reads its assignment the same way.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .sandboxed import wire

__all__ = ["Assignment", "load", "CONFIG", "AssignmentError", "public_tests_digest"]

#: The file that makes a folder an assignment.
CONFIG = "poolside.toml"


class AssignmentError(ValueError):
    """The folder is not an assignment poolside can use; the message says what to fix."""


@dataclass(frozen=True)
class Assignment:
    """One assignment folder (see the module docstring for the fields)."""

    root: Path
    name: str
    master: Path | None
    helpers: tuple[Path, ...]
    data: tuple[Path, ...]
    checks: str
    grading: tuple[Path, ...]
    references: Path | None = None
    environment: Path | None = None
    student_environment: Path | None = None
    install_guide: Path | None = None
    hooks: dict = field(default_factory=dict)
    notebook_name: str | None = None

    @property
    def notebook(self) -> str:
        """The file name the student's notebook has (and is graded under)."""
        return self.notebook_name or self.master.name

    @property
    def student_files(self) -> tuple[Path, ...]:
        """What sits next to the student's notebook: helpers, then data."""
        return self.helpers + self.data

    @property
    def module_names(self) -> set[str]:
        """Top-level module names the checks and their grading files are imported under."""
        return {self.checks.split(".")[0], *_tops(self.root, self.grading)}

    def activate(self) -> None:
        """Make the checks and the hooks importable from this assignment's folder, first.

        Modules of the same top-level names imported from another folder (another assignment
        in the same process) are forgotten, so this one's are imported afresh."""
        if str(self.root) in sys.path:
            sys.path.remove(str(self.root))
        sys.path.insert(0, str(self.root))
        tops = self.module_names
        for name, module in list(sys.modules.items()):
            if name.split(".")[0] in tops:
                where = getattr(module, "__file__", None)
                if where is None or not Path(where).resolve().is_relative_to(self.root):
                    del sys.modules[name]

    def load_registry(self):
        """The assignment's checks, collected by pytest, as a
        :class:`~poolside.grading.registry.Registry`.

        Raises
        ------
        AssignmentError
            When the package ``checks`` names cannot be imported or its checks not collected.
        """
        from . import checks

        self.activate()
        try:
            return checks.collect(self.checks)
        except ImportError as err:
            if getattr(err, "name", None) and (self.checks == err.name
                                               or self.checks.startswith(err.name + ".")):
                raise AssignmentError(
                    f"{self.root / CONFIG}: `checks` names {self.checks}, which cannot be "
                    f"imported from {self.root}") from None
            raise AssignmentError(f"{self.checks}: {err}") from None
        except RuntimeError as err:
            raise AssignmentError(str(err)) from None

    def written(self) -> dict[str, float]:
        """Questions graded by hand (Otter's ``manual: true``) and their points: read from the
        master notebook, or in the zip (which has no master) from the build's ``written.json``."""
        stored = self.root / WRITTEN
        if self.master is None or not self.master.is_file():
            return json.loads(stored.read_text(encoding="utf-8")) if stored.is_file() else {}
        written = {}
        for cell in json.loads(self.master.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"]) if cell["cell_type"] == "raw" else ""
            if source.lstrip().startswith("# BEGIN QUESTION"):
                fields = dict(re.findall(r"^(\w+):\s*(.+?)\s*$", source, re.MULTILINE))
                if fields.get("manual", "").lower() == "true":
                    written[fields["name"]] = float(fields.get("points", 0))
        return written

    def hook(self, name: str):
        """The function a ``[hooks]`` entry names, or None when the assignment has none."""
        target = self.hooks.get(name)
        if not target:
            return None
        module, _, function = target.partition(":")
        self.activate()
        return getattr(importlib.import_module(module), function)

    def shipped(self) -> str:
        """This file as laid out in ``autograder.zip``: student files flat next to the
        notebook (as Otter ships them), the grading files under their own names, and the
        notebook's name in place of the master (which does not ship)."""
        def rel(path: Path) -> str:
            return path.relative_to(self.root).as_posix()

        lines = ["# Written by poolside build from the assignment's poolside.toml.",
                 "[assignment]",
                 f"name = {json.dumps(self.name)}",
                 f"notebook = {json.dumps(self.notebook)}",
                 f"helpers = {json.dumps([p.name for p in self.helpers])}",
                 f"data = {json.dumps([p.name for p in self.data])}",
                 f"checks = {json.dumps(self.checks)}",
                 f"grading = {json.dumps([rel(p) for p in self.grading])}"]
        if self.references is not None:
            lines.append(f"references = {json.dumps(rel(self.references))}")
        if self.hooks.get("warm"):
            lines += ["", "[hooks]", f"warm = {json.dumps(self.hooks['warm'])}"]
        return "\n".join(lines) + "\n"


def _path(root: Path, value, key: str, required: bool = True) -> Path | None:
    if value is None:
        if required:
            raise AssignmentError(f"{root / CONFIG}: `{key}` is missing")
        return None
    if not isinstance(value, str):
        raise AssignmentError(f"{root / CONFIG}: `{key}` should be a path (a string)")
    path = (root / value).resolve()
    if not path.exists():
        raise AssignmentError(f"{root / CONFIG}: `{key}` names {value}, which does not exist")
    return path


def _paths(root: Path, values, key: str) -> tuple[Path, ...]:
    if values is None:
        return ()
    if not isinstance(values, list):
        raise AssignmentError(f"{root / CONFIG}: `{key}` should be a list of paths")
    return tuple(_path(root, v, key) for v in values)


#: Where the build stores the written questions in the zip (see Assignment.written).
WRITTEN = "written.json"
#: Where the build stores what the handed-out notebook carries (see public_tests_digest).
HANDOUT = "handout.json"
#: Names the build gives files of its own in the zip.
_RESERVED = {"poolside", CONFIG, "points.json", WRITTEN, HANDOUT}


def _tops(root: Path, grading) -> set[str]:
    return {p.relative_to(root).parts[0].removesuffix(".py") for p in grading}


def _check_layout(config: Path, root: Path, checks: str, grading, student, references):
    """Refuse what would build but not grade: it is cheaper to say so here."""
    outside = [p for p in [*grading, *student] if not p.is_relative_to(root)]
    if outside:
        raise AssignmentError(f"{config}: {outside[0]} is outside the assignment folder")
    tops = {p.relative_to(root).parts[0] for p in grading}
    if checks.split(".")[0] not in _tops(root, grading):
        raise AssignmentError(f"{config}: `grading` does not ship the checks {checks}; "
                              "add their package to `grading`")
    if references is not None and not any(references.is_relative_to(g) for g in grading):
        raise AssignmentError(f"{config}: `references` ({references.relative_to(root)}) is not "
                              "among the `grading` files, so the zip would not have it")
    names = [p.name for p in student]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise AssignmentError(f"{config}: helpers and data sit side by side next to the "
                              f"notebook, so their names must differ: {twice} twice")
    clash = sorted((set(names) | tops) & _RESERVED)
    if clash:
        raise AssignmentError(f"{config}: {clash} is a name the build uses in the zip")
    shared = sorted(set(names) & tops)
    if shared or any(s.is_relative_to(g) for s in student for g in grading):
        raise AssignmentError(f"{config}: a grading file would go to students: "
                              f"{shared or 'under a grading folder'}")


def load(folder: str | Path = ".") -> Assignment:
    """Read ``folder/poolside.toml``.

    Raises
    ------
    AssignmentError
        When the file is missing or names something that is not there.
    """
    root = Path(folder).resolve()
    config = root / CONFIG
    if not config.is_file():
        raise AssignmentError(f"{root} is not an assignment folder: it has no {CONFIG}")
    try:
        raw = tomllib.loads(config.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise AssignmentError(f"{config}: {err}") from None
    section = raw.get("assignment", {})
    student = raw.get("student", {})
    checks = section.get("checks")
    if not isinstance(checks, str) or not checks:
        hint = (" (`registry` modules are now packages of pytest checks: see "
                "poolside.grading.checks)" if "registry" in section else "")
        raise AssignmentError(f"{config}: `checks` (a package name) is missing{hint}")
    name = section.get("name")
    if not isinstance(name, str) or not name:
        raise AssignmentError(f"{config}: `name` is missing")
    grading = _paths(root, section.get("grading"), "grading")
    helpers = _paths(root, section.get("helpers"), "helpers")
    data = _paths(root, section.get("data"), "data")
    references = _path(root, section.get("references"), "references", required=False)
    _check_layout(config, root, checks, grading, helpers + data, references)
    notebook = section.get("notebook")
    return Assignment(
        root=root, name=name, notebook_name=notebook if isinstance(notebook, str) else None,
        master=_path(root, section.get("master"), "master", required=notebook is None),
        helpers=helpers, data=data, checks=checks, grading=grading, references=references,
        environment=_path(root, section.get("environment"), "environment", required=False),
        student_environment=_path(root, student.get("environment"), "student.environment",
                                  required=False),
        install_guide=_path(root, student.get("install_guide"), "student.install_guide",
                            required=False),
        hooks=dict(raw.get("hooks", {})),
    )


def public_tests_digest(notebook: Path) -> str | None:
    """A fingerprint of the public checks a notebook carries (Otter keeps them in its
    metadata): a submission whose fingerprint is not the handout's was worked on in another
    version of the assignment, so its ``grader.check`` may have said other things. None when
    the notebook cannot be read."""
    import hashlib

    try:
        nb = wire.parse_notebook(Path(notebook).read_bytes())
        tests = nb["metadata"]["otter"]["tests"]
        text = json.dumps(tests, sort_keys=True, ensure_ascii=True)
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    return hashlib.sha256(text.encode()).hexdigest()
