"""Shared, seeded fixtures. Slow fixtures (MCMC fits, Otter runs) are session-scoped."""

from __future__ import annotations

import os
import stat
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from assignment.activity import load_spotify
from poolside import build, grade
from tests import project as paths
from solutions import reference as ref


#: The tiny assignment's checks are its own tests (run by poolside.grading.checks), not ours.
collect_ignore = ["assignments"]


def pytest_collection_modifyitems(items):
    # Whatever needs dist/ runs Otter Assign: the slow lane's, so the fast lane runs no Otter.
    for item in items:
        if "built" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def spotify():
    return load_spotify(paths.DATA)[0]


@pytest.fixture(scope="session")
def artist_means():
    return load_spotify(paths.DATA)[1]


@pytest.fixture(scope="session")
def master_run():
    """The master's solution run once in this process, cell by cell, with stand-in fits
    (:func:`solutions.master_run.run_master`): the variables by question, and at the end."""
    import matplotlib.pyplot as plt

    from solutions.master_run import run_master

    yield run_master()
    plt.close("all")


@pytest.fixture(scope="session")
def references():
    return ref.load()


@pytest.fixture
def rng():
    return np.random.default_rng(20261125)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """dist/ built afresh from the master notebook (without the self-check: tests grade it)."""
    return build.main(out=tmp_path_factory.mktemp("dist"), check=False)


#: Generous enough that a fit cell never trips it on a loaded 2-core machine.
CELL_TIMEOUT = 60


@pytest.fixture(scope="session")
def batch(built, tmp_path_factory):
    """Every example submission graded once by ``poolside grade``."""
    out = tmp_path_factory.mktemp("grading")
    started = time.perf_counter()
    table = grade.main([built["examples"]], out, built["autograder"], jobs=2, timeout=600,
                       cell_timeout=CELL_TIMEOUT, echo=lambda text: None)
    return {"table": table, "out": out, "seconds": time.perf_counter() - started}


@pytest.fixture(scope="module")
def reachable():
    """Let other users pass through (not list) the folders above this interpreter."""
    changed = []
    for target in (Path(sys.executable).resolve(), Path(sys.prefix)):
        for folder in target.parents:
            mode = os.stat(folder).st_mode
            if not mode & stat.S_IXOTH:
                os.chmod(folder, mode | stat.S_IXOTH)
                changed.append((folder, mode))
    yield
    for folder, mode in reversed(changed):
        os.chmod(folder, stat.S_IMODE(mode))
