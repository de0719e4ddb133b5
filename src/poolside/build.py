"""``poolside build [ASSIGNMENT]``: the student bundle, the solution and ``autograder.zip``.

Like ``otter assign``, of which it is a wrapper: Otter Assign only ships files from the master
notebook's own folder, so the build stages the master with everything the assignment's
``poolside.toml`` names (helpers and data next to the notebook, the checks' files, the
grading engine and a copy of the config as laid out in the zip), fills the master's Otter
configuration from ``poolside.toml`` (name, files, requirements), runs Otter there and copies
the results into the output folder (``ASSIGNMENT/dist`` by default). Nothing in it is edited
by hand.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from . import master, student_env
from .grading.assignment import HANDOUT, WRITTEN, Assignment, load, public_tests_digest
from .otter_zip import tune_entry_point

__all__ = ["main", "stage", "ENGINE"]

#: The grading engine, shipped inside the zip as ``poolside/`` (the tool's CLI is not).
ENGINE = Path(__file__).resolve().parent
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")
_CONFIG_MARK = "# ASSIGNMENT CONFIG"


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, ignore=_IGNORE)
    else:
        shutil.copy(source, target)


def _otter_config(nb: dict, assignment: Assignment, shipped: list[str]) -> dict:
    """The master with its Otter configuration filled from poolside.toml."""
    cell = next((c for c in nb["cells"] if c["cell_type"] == "raw"
                 and "".join(c["source"]).lstrip().startswith(_CONFIG_MARK)), None)
    if cell is None:
        raise RuntimeError(f"{assignment.master} has no Otter configuration cell "
                           f"(a raw cell starting with {_CONFIG_MARK!r})")
    config = yaml.safe_load("".join(cell["source"])) or {}
    config["name"] = assignment.name
    # The engine goes to students too: public checks judge with the hidden checks' own code
    # (it holds no answers; the assignment's checks, which do, are never shipped to them).
    config["files"] = [p.name for p in assignment.student_files] + ["poolside"]
    # Otter puts the students' files in the zip as well; listed twice, it stops.
    config["autograder_files"] = [f for f in shipped if f not in config["files"]]
    if assignment.environment is not None:
        config["requirements"] = "requirements.txt"
    cell["source"] = _CONFIG_MARK + "\n" + yaml.safe_dump(config, sort_keys=False)
    return nb


def stable_cell_ids(path: Path) -> None:
    """Give every cell an id made from its position and content. Otter gives the cells it
    writes random ids; these keep a rebuild from the same master byte for byte the same."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for index, cell in enumerate(nb["cells"]):
        if "id" in cell:
            text = f"{index}\n{cell['cell_type']}\n{''.join(cell['source'])}"
            cell["id"] = hashlib.sha256(text.encode()).hexdigest()[:16]
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def stage(assignment: Assignment, workdir: Path) -> Path:
    """Lay out the master notebook and everything it ships with; return the master's path."""
    if master.out_of_step(assignment):
        raise RuntimeError(
            "the master notebook's hidden test cells or points differ from the checks "
            f"({assignment.checks}); run `poolside sync {assignment.root}` and review the "
            "change")
    for source in assignment.student_files:
        _copy(source, workdir / source.name)
    if assignment.environment is not None:
        _copy(assignment.environment, workdir / "requirements.txt")
    shipped = []
    for source in assignment.grading:
        relative = source.relative_to(assignment.root)
        _copy(source, workdir / relative)
        shipped.append(relative.as_posix())
    # The engine the runner and the hidden cells import, and the assignment as the zip lays it
    # out; the points table lets the batch grader read points without importing the checks.
    _copy(ENGINE / "__init__.py", workdir / "poolside" / "__init__.py")
    _copy(ENGINE / "grading", workdir / "poolside" / "grading")
    (workdir / "poolside.toml").write_text(assignment.shipped(), encoding="utf-8")
    (workdir / "points.json").write_text(json.dumps(assignment.load_registry().questions))
    (workdir / WRITTEN).write_text(json.dumps(assignment.written()))
    shipped += ["poolside", "poolside.toml", "points.json", WRITTEN]
    nb = json.loads(assignment.master.read_text(encoding="utf-8"))
    target = workdir / assignment.notebook
    target.write_text(json.dumps(_otter_config(nb, assignment, shipped), indent=1,
                                 ensure_ascii=False), encoding="utf-8")
    return target


def main(assignment: str | Path | Assignment = ".", out: Path | None = None,
         check: bool = True, echo=lambda text: None) -> dict[str, Path]:
    """Build the student bundle, the solution notebook and ``autograder.zip``.

    Parameters
    ----------
    assignment : path or Assignment
        The assignment folder (with ``poolside.toml``); the current folder by default.
    out : Path, optional
        Output folder; ``dist/`` in the assignment folder by default. It is replaced.
    check : bool
        Grade the solution notebook with the new zip and fail unless it earns full marks.
    echo : callable
        Told the solution's score when ``check`` passes.

    Returns
    -------
    dict
        Paths of the ``student`` folder (notebook, helpers, data and, when the assignment has
        them, ``requirements.txt``, ``environment.yml`` and ``INSTALL.md``), the ``solution``
        notebook, the ``autograder`` zip and, with an ``examples`` hook, the ``examples``
        folder (and ``examples.json``, what grading each must give).
    """
    if not isinstance(assignment, Assignment):
        assignment = load(assignment)
    out = Path(out or assignment.root / "dist").resolve()
    with tempfile.TemporaryDirectory(prefix="poolside-build-") as tmp:
        tmp = Path(tmp)
        staged = stage(assignment, tmp / "stage")
        result = tmp / "otter-out"
        completed = subprocess.run(
            [sys.executable, "-m", "otter", "assign", "--no-pdfs", str(staged), str(result)],
            cwd=staged.parent, capture_output=True, text=True,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"otter assign failed:\n{completed.stdout}\n{completed.stderr}")
        zips = sorted((result / "autograder").glob("*-autograder_*.zip"))
        if len(zips) != 1:
            raise RuntimeError(f"expected one autograder zip, found {zips}")
        if out.exists():
            shutil.rmtree(out)
        (out / "solution").mkdir(parents=True)
        shutil.copytree(result / "student", out / "student")
        if assignment.student_environment is not None and assignment.install_guide is not None:
            student_env.write(assignment.student_environment, assignment.install_guide,
                              out / "student", name=assignment.name)
        shutil.copy(result / "autograder" / staged.name, out / "solution" / staged.name)
        shutil.copy(zips[0], out / "autograder.zip")
        # What this version's notebooks carry: the handout's public checks, and the
        # solution's (the same, with the hidden ones) for the instructor's own test runs.
        tune_entry_point(out / "autograder.zip", {HANDOUT: json.dumps({"public_tests": [
            public_tests_digest(result / "student" / assignment.notebook),
            public_tests_digest(result / "autograder" / staged.name)]})})
        for notebook in [out / "solution" / staged.name, *sorted((out / "student").glob("*.ipynb"))]:
            stable_cell_ids(notebook)
    built = {
        "student": out / "student",
        "solution": out / "solution" / assignment.notebook,
        "autograder": out / "autograder.zip",
    }
    write_examples = assignment.hook("examples")
    if write_examples is not None:
        built["examples"] = out / "examples"
        expected = write_examples(built["solution"], built["student"] / assignment.notebook,
                                  built["examples"])
        (out / "examples.json").write_text(json.dumps(expected, indent=1))
    if check:
        from .run import format_scores
        from .run import main as run_submission

        scores = run_submission(built["solution"], autograder=built["autograder"])
        if scores["total"] != scores["possible"]:
            raise RuntimeError("the solution notebook does not pass its own tests:\n"
                               + format_scores(scores, feedback=True))
        echo(f"the solution earns full marks ({scores['total']:g} / {scores['possible']:g})")
    return built
