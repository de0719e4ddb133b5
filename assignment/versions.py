"""Say plainly when this computer's Python packages differ from the tested ones in a way that
matters.

This file ships next to the student notebook, whose first code cell calls
:func:`check_versions` before importing anything heavy. It imports only the standard library,
so it runs (and warns) even when PyMC or ArviZ is missing or too old to import.
"""

from __future__ import annotations

import sys
from importlib import metadata

__all__ = ["check_versions", "REQUIRED", "PYTHON"]

#: Oldest Python the notebook runs on: PyMC 6 needs 3.12.
PYTHON = (3, 12)

#: package -> (oldest version that works, first major version that is not tested).
#: The same ranges as assignment/requirements.in (tests/test_versions.py keeps them in step).
#: Only what the notebook imports, and where a different version changes behaviour: PyMC 5
#: and ArviZ 0.x return InferenceData instead of the DataTree the checks read; Otter 6 reads
#: the checks differently; nutpie is the sampler every fit names.
REQUIRED = {
    "pymc": ("6.4", 7),
    "pytensor": ("3.3", 4),
    "nutpie": ("0.16.11", None),
    "arviz": ("1.3", 2),
    "numpy": ("2.4", None),
    "pandas": ("3.0", None),
    "matplotlib": ("3.10", None),
    "otter-grader": ("7.0.0", 8),
}


def _numbers(version: str) -> tuple[int, ...]:
    """Leading numeric parts of a version string: "6.4.1rc1" -> (6, 4, 1)."""
    parts = []
    for piece in version.split("."):
        digits = ""
        for char in piece:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) < len(piece):  # a suffix such as "rc1" ends the release number
            break
    return tuple(parts)


def problems(installed: dict[str, str | None] | None = None,
             python: tuple[int, ...] | None = None) -> list[str]:
    """What differs in a way that matters, one sentence each (empty: all fine).

    Parameters
    ----------
    installed : dict, optional
        Package name -> installed version (None if missing); read from this environment
        by default.
    python : tuple of int, optional
        Python version; this interpreter's by default.

    Returns
    -------
    list of str
    """
    python = tuple(python or sys.version_info[:3])
    if installed is None:
        installed = {}
        for name in REQUIRED:
            try:
                installed[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                installed[name] = None
    found = []
    if python[:2] < PYTHON:
        found.append(f"Python is {'.'.join(map(str, python))}; this notebook needs "
                     f"{PYTHON[0]}.{PYTHON[1]} or newer.")
    for name, (oldest, untested_major) in REQUIRED.items():
        version = installed.get(name)
        if version is None:
            found.append(f"{name} is not installed; the notebook needs {name} >= {oldest}.")
            continue
        numbers = _numbers(version)
        if numbers < _numbers(oldest):
            found.append(f"{name} is {version}; the notebook needs {oldest} or newer.")
        elif untested_major is not None and numbers[:1] >= (untested_major,):
            found.append(f"{name} is {version}; the notebook was tested with "
                         f"{name} {oldest.split('.')[0]}.x, and a new major version may "
                         "behave differently.")
    return found


def check_versions() -> bool:
    """Print whether the installed versions are the ones the notebook was tested with.

    Returns
    -------
    bool
        True when nothing that matters differs. Otherwise a warning names each problem and
        says how to install the tested versions (INSTALL.md, next to this notebook).
    """
    found = problems()
    if not found:
        versions = ", ".join(f"{n} {metadata.version(n)}" for n in ("pymc", "arviz", "nutpie"))
        print(f"Environment OK: Python {sys.version.split()[0]}, {versions}.")
        return True
    print("WARNING: this environment differs from the one the notebook was tested with:\n"
          + "\n".join(f"  * {line}" for line in found)
          + "\nYour code may fail or your results may not match the grader. Install the "
            "tested versions\n(see INSTALL.md next to this notebook: "
            "`pip install -r requirements.txt`), then restart the kernel.")
    return False
