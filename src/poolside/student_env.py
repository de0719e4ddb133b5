"""The environment files of the student bundle: pip requirements and a conda environment.yml.

Both come from one lock, ``assignment/student-requirements.txt``, compiled from the grading
lock's inputs plus JupyterLab and constrained by the grading lock, so a student installs
exactly the versions the autograder runs (the grading lock has no notebook server).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

__all__ = ["pins", "versions", "environment_yml", "write"]

PYTHON = "3.12"


def pins(lock: Path) -> list[str]:
    """The requirement lines of a ``uv pip compile`` lock, comments and blank lines dropped.

    Parameters
    ----------
    lock : Path

    Returns
    -------
    list of str
        Lines such as ``"pymc==6.4.1"`` or ``"appnope==1.0.0 ; sys_platform == 'darwin'"``.
    """
    lines = []
    for line in Path(lock).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def versions(lock: Path) -> dict[str, str]:
    """Package name (normalised) -> pinned version. A package pinned twice under different
    markers (a universal lock does that) keeps its last pin."""
    found = {}
    for line in pins(lock):
        req = Requirement(line)
        found[canonicalize_name(req.name)] = next(iter(req.specifier)).version
    return found


def environment_yml(lock: Path, name: str) -> str:
    """A conda ``environment.yml``: Python from conda-forge, every package pinned through pip.

    Conda passes the pip section to pip as a requirements file, so the lock's environment
    markers keep working and conda and pip users get the same versions.
    """
    body = "\n".join(f'      - "{line}"' for line in pins(lock))
    return (
        "# The tested environment, the same versions as requirements.txt (see INSTALL.md):\n"
        "#   conda env create -f environment.yml && conda activate " + name + "\n"
        f"name: {name}\n"
        "channels:\n"
        "  - conda-forge\n"
        "dependencies:\n"
        f"  - python={PYTHON}\n"
        "  - pip\n"
        "  - pip:\n"
        f"{body}\n"
    )


def write(lock: Path, install_guide: Path, student: Path, name: str) -> dict[str, Path]:
    """Write ``requirements.txt``, ``environment.yml`` (its environment called ``name``, the
    assignment's) and ``INSTALL.md`` into ``student``."""
    student = Path(student)
    shutil.copy(lock, student / "requirements.txt")
    (student / "environment.yml").write_text(environment_yml(lock, name), encoding="utf-8")
    shutil.copy(install_guide, student / "INSTALL.md")
    return {name: student / name for name in ("requirements.txt", "environment.yml", "INSTALL.md")}
