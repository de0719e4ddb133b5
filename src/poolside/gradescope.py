"""Emulate a Gradescope run of ``autograder.zip`` here, without its conda environment.

Gradescope unzips the autograder into ``/autograder/source``, puts the submission in
``/autograder/submission``, writes ``submission_metadata.json`` and runs
``/autograder/run_autograder``, which must leave ``/autograder/results/results.json``. This
module builds the same tree in a folder, runs the zip's own ``run_autograder`` commands with
the folder in place of ``/autograder`` and this interpreter in place of the conda
environment's, and validates what comes out against Gradescope's results specification.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from .grading.limits import RUNNER_MARGIN, TIMEOUT

__all__ = ["make_tree", "run_entry_point", "validate_results", "check_environment", "main"]

VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
STATUS = {"passed", "failed"}


def make_tree(autograder: Path, submission: Path, root: Path) -> Path:
    """Lay out ``root`` as Gradescope lays out ``/autograder``; return ``root``."""
    for sub in ("source", "submission", "results"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(autograder) as zf:
        zf.extractall(root / "source")
    # The entry points name /autograder; point them at this tree as if it were mounted there.
    for script in ("run_autograder", "run_otter.py"):
        path = root / "source" / script
        if path.exists():
            path.write_text(re.sub(r"(?<![\w.-])/autograder", str(root), path.read_text()))
    if Path(submission).suffix.lower() == ".zip":  # Gradescope unpacks an uploaded zip
        with zipfile.ZipFile(submission) as zf:
            zf.extractall(root / "submission")
    else:
        shutil.copy(submission, root / "submission" / Path(submission).name)
    (root / "submission_metadata.json").write_text(json.dumps({
        "id": 1, "created_at": "2026-01-01T00:00:00", "assignment": {"title": "emulated"},
        "submission_method": "upload", "users": [{"name": "Student", "email": "s@example.edu"}],
    }))
    return root


def entry_point_commands(root: Path) -> list[list[str]]:
    """The zip's ``run_autograder`` as commands for this machine.

    Conda set-up lines are dropped (this interpreter already has the pinned stack) and
    ``python`` becomes this interpreter; ``export`` lines become environment settings,
    returned as ``["env", "K=V", ...]``. :func:`make_tree` already pointed the scripts'
    ``/autograder`` at the tree.
    """
    script = (root / "source" / "run_autograder").read_text()
    commands = []
    for line in script.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "mamba" in line or line.startswith("export PATH"):
            continue
        words = shlex.split(line)
        if words[0] == "export":
            commands.append(["env", *words[1:]])
        elif words[0] == "python":
            commands.append([sys.executable, *words[1:]])
        else:
            raise RuntimeError(f"run_autograder has a command the emulation does not know: {line}")
    return commands


def run_entry_point(root: Path, timeout: float = TIMEOUT, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the zip's entry point in ``root``; return the last command's completed process.

    ``timeout`` is the student's side's limit: the runner gets :data:`RUNNER_MARGIN` more to
    judge and write its results before it is stopped.
    """
    import os

    environment = {**os.environ, **(env or {})}
    completed = None
    for command in entry_point_commands(root):
        if command[0] == "env":
            environment.update(word.split("=", 1) for word in command[1:])
            continue
        completed = subprocess.run(command, cwd=root, env=environment, capture_output=True,
                                   text=True, timeout=timeout + RUNNER_MARGIN)
    return completed


def validate_results(results: dict) -> list[str]:
    """Problems with ``results`` under Gradescope's results.json specification (empty: fine)."""
    problems = []
    if not isinstance(results.get("score"), (int, float)):
        problems.append("no numeric top-level 'score'")
    tests = results.get("tests")
    if not isinstance(tests, list) or not tests:
        return problems + ["no 'tests' list"]
    for i, test in enumerate(tests):
        where = f"test {i} ({test.get('name', '?')})"
        for key in ("name", "output"):
            if not isinstance(test.get(key), str):
                problems.append(f"{where}: '{key}' is not a string")
        for key in ("score", "max_score"):
            if not isinstance(test.get(key), (int, float)):
                problems.append(f"{where}: '{key}' is not a number")
        if test.get("status") not in STATUS:
            problems.append(f"{where}: 'status' is not one of {sorted(STATUS)}")
        if test.get("visibility") not in VISIBILITY:
            problems.append(f"{where}: 'visibility' is not one of {sorted(VISIBILITY)}")
    if "score" in results and all(isinstance(t.get("score"), (int, float)) for t in tests):
        if abs(results["score"] - sum(t["score"] for t in tests)) > 1e-9:
            problems.append("top-level score is not the sum of the tests' scores")
    return problems


_NETWORK = re.compile(r"\b(wget|curl|pip install|mamba install|conda install|apt-get|git clone)\b")


def check_environment(autograder: Path, python: str = "3.12") -> list[str]:
    """Problems with the zip's environment: Python version, unpinned packages, and network
    fetches in what runs at grading time (``setup.sh`` runs once, when the image is built)."""
    problems = []
    with zipfile.ZipFile(autograder) as zf:
        names = set(zf.namelist())
        for needed in ("setup.sh", "environment.yml", "run_autograder"):
            if needed not in names:
                problems.append(f"the zip has no {needed}")
        if problems:
            return problems
        environment = zf.read("environment.yml").decode()
        run_autograder = zf.read("run_autograder").decode()
        setup = zf.read("setup.sh").decode()
    if f"python={python}" not in environment:
        problems.append(f"environment.yml does not pin python={python}")
    pip = re.findall(r"^\s+- ([A-Za-z0-9_.\-\[\]]+.*)$", environment.split("pip:", 1)[-1],
                     flags=re.MULTILINE)
    unpinned = [p for p in pip if "==" not in p]
    if not pip:
        problems.append("environment.yml installs no pip packages")
    if unpinned:
        problems.append(f"environment.yml leaves {len(unpinned)} pip packages unpinned: "
                        f"{', '.join(unpinned[:5])}")
    if "environment.yml" not in setup:
        problems.append("setup.sh does not install environment.yml")
    fetches = [line for line in run_autograder.splitlines() if _NETWORK.search(line)]
    if fetches:
        problems.append(f"run_autograder fetches at grading time: {fetches}")
    return problems


def warm_as_setup_does(root: Path, timeout: float = 600) -> subprocess.CompletedProcess | None:
    """Run the compile-cache step of the zip's ``setup.sh`` (its last command), with this
    interpreter for the conda environment's and ``root`` for ``/autograder``; None if the
    zip's ``setup.sh`` has no such step."""
    setup = (root / "source" / "setup.sh").read_text()
    step = next((line for line in setup.splitlines() if "grading.cache warm" in line), None)
    if step is None:
        return None
    folder, _, command = step.partition("&&")
    words = shlex.split(re.sub(r"(?<![\w.-])/autograder", str(root), command))
    words = words[words.index("python"):]  # drop "mamba run -n ENV"
    return subprocess.run([sys.executable, *words[1:]], cwd=shlex.split(
        re.sub(r"(?<![\w.-])/autograder", str(root), folder))[1], capture_output=True,
        text=True, timeout=timeout)


def main(submission: Path, autograder: Path, workdir: Path) -> dict:
    """Emulate one Gradescope run; return ``{"results", "problems", "environment"}``.

    The image's build step that matters for grading, warming the compile cache, runs first;
    the rest of ``setup.sh`` installs what this interpreter already has.
    """
    root = make_tree(Path(autograder), Path(submission), Path(workdir) / "autograder")
    warm_as_setup_does(root)
    completed = run_entry_point(root)
    results_path = root / "results" / "results.json"
    if not results_path.exists():
        return {"results": None, "problems": ["no results/results.json was written"],
                "environment": check_environment(autograder),
                "log": (completed.stdout + completed.stderr) if completed else ""}
    results = json.loads(results_path.read_text())
    return {"results": results, "problems": validate_results(results),
            "environment": check_environment(autograder)}
