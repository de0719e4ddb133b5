"""``poolside build``: regenerate dist/ from the master notebook with Otter Assign.

Otter Assign only copies support files from the master notebook's own folder, so the build
stages the master, the data, the student helpers, the checks and the stored references in a
temporary folder laid out as the grading environment will see them, runs Otter there, and
then copies the results into ``dist/``. Nothing in ``dist/`` is edited by hand.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import master, paths, student_env
from .examples import write_examples
from .otter_zip import tune_entry_point
from .run import main as run_submission

__all__ = ["main", "stage"]


def _copy_package(source: Path, target: Path) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def stage(workdir: Path) -> Path:
    """Lay out the master notebook and everything it ships with; return the master's path."""
    if master.out_of_step(paths.MASTER):
        raise RuntimeError("the master notebook's hidden test cells differ from the registry "
                           "(autograder/questions.py); run `python -m poolside.master "
                           f"{paths.MASTER}` and review the change")
    shutil.copy(paths.MASTER, workdir / paths.MASTER.name)
    for module in paths.STUDENT_MODULES:
        shutil.copy(module, workdir / module.name)
    shutil.copy(paths.DATA, workdir / "spotify.csv")
    shutil.copy(paths.REQUIREMENTS, workdir / "requirements.txt")
    _copy_package(paths.AUTOGRADER, workdir / "autograder")
    from autograder.questions import QUESTIONS

    # The points table travels with the checks: the batch grader reads it from the zip.
    (workdir / "autograder" / "points.json").write_text(json.dumps(QUESTIONS))
    (workdir / "solutions").mkdir()
    for name in ("__init__.py", "models.py", "reference.json"):
        shutil.copy(paths.SOLUTIONS / name, workdir / "solutions" / name)
    return workdir / paths.MASTER.name


def main(out: Path | None = None, check: bool = True) -> dict[str, Path]:
    """Build the student notebook, the solution notebook and ``autograder.zip``.

    Parameters
    ----------
    out : Path, optional
        Output folder; ``dist/`` by default. It is replaced.
    check : bool
        Grade the solution notebook with the new zip and fail unless it earns full marks.

    Returns
    -------
    dict
        Paths of the ``student`` folder (notebook, helpers, data, ``requirements.txt``,
        ``environment.yml`` and ``INSTALL.md``), the ``solution`` notebook, the ``autograder`` zip and
        the ``examples`` folder of example submissions (see :mod:`poolside.examples`).
    """
    out = Path(out or paths.DIST)
    with tempfile.TemporaryDirectory(prefix="poolside-build-") as tmp:
        tmp = Path(tmp)
        master = stage(tmp)
        result = tmp / "otter-out"
        completed = subprocess.run(
            [sys.executable, "-m", "otter", "assign", "--no-pdfs", str(master), str(result)],
            cwd=tmp, capture_output=True, text=True,
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
        student_env.write(paths.STUDENT_LOCK, paths.INSTALL_GUIDE, out / "student")
        shutil.copy(result / "autograder" / master.name, out / "solution" / master.name)
        shutil.copy(zips[0], out / "autograder.zip")
        tune_entry_point(out / "autograder.zip")
    built = {
        "student": out / "student",
        "solution": out / "solution" / paths.MASTER.name,
        "autograder": out / "autograder.zip",
        "examples": out / "examples",
    }
    write_examples(built["solution"], built["student"] / paths.MASTER.name, built["examples"])
    if check:
        scores = run_submission(built["solution"], autograder=built["autograder"])
        if scores["total"] != scores["possible"]:
            raise RuntimeError(
                "the solution notebook does not pass its own tests:\n"
                + "\n".join(f"  {q}: {s['score']}/{s['possible']}" for q, s in
                            scores["questions"].items() if s["score"] != s["possible"])
            )
    return built
