"""Forgery earns nothing: hostile submissions graded locally and on the Gradescope emulation.

Each forgery (tests/adversary.py) is built from the bundle's own notebooks. Locally they are
graded in one batch with the honest examples' machinery; on the emulation each runs through
the zip's own ``run_autograder``. Every one must score exactly what its honest part earns,
leave no process behind, leak nothing hidden and change no result after grading ends.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from poolside.grading.sandbox import choose
from poolside import grade, gradescope

from .adversary import FORGERIES, HIDDEN_SNIPPETS, MARKER, PWNED, write_forgeries

pytestmark = pytest.mark.slow

#: Short limits keep the hanging forgery cheap; an honest cell needs a few seconds.
CELL_TIMEOUT = 30


def _expected(points: dict, expected) -> dict:
    if expected == "all zero":
        return {q: 0.0 for q in points}
    return {q: float(expected.get(q, p)) for q, p in points.items()}


def _leftovers() -> list[str]:
    found = subprocess.run(["pgrep", "-af", MARKER], capture_output=True, text=True).stdout
    return [line for line in found.splitlines() if "pgrep" not in line]


@pytest.fixture(scope="module")
def forgeries(built, tmp_path_factory):
    # Without a sandbox these forgeries would do real damage (one kills every process it
    # can): refuse to run them rather than pretend.
    assert choose().kind != "none", "install bubblewrap to run the adversary suite"
    PWNED.unlink(missing_ok=True)
    folder = tmp_path_factory.mktemp("forgeries")
    return write_forgeries(built["student"] / built["solution"].name, built["solution"], folder)


@pytest.fixture(scope="module")
def local(forgeries, built, tmp_path_factory):
    out = tmp_path_factory.mktemp("forged-grades")
    started = time.monotonic()
    table = grade.main([p for p in forgeries.values()], out, built["autograder"], jobs=2,
                       timeout=600, cell_timeout=CELL_TIMEOUT, echo=lambda text: None)
    seconds = time.monotonic() - started
    digest = hashlib.sha256((out / "grades.csv").read_bytes()).hexdigest()
    time.sleep(15)  # past the detached rewriter's wake-up
    return {"table": table, "out": out, "digest": digest, "seconds": seconds}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_forgery_earns_only_what_its_honest_part_earns_locally(local, built, name):
    rows = {Path(f).name: r for f, r in zip(local["table"]["file"],
                                            local["table"].to_dict("records"))}
    row = rows[name]
    points = grade.question_points(built["autograder"])
    assert row["status"] == "graded", row["reason"]
    assert {q: row[q] for q in points} == _expected(points, FORGERIES[name][2]), row["reason"]


def test_the_catalogue_covers_every_family():
    assert len(FORGERIES) >= 15


def test_nothing_a_forgery_started_outlives_its_grading(local):
    assert _leftovers() == []


def test_results_do_not_change_after_the_batch_ends(local):
    after = hashlib.sha256((local["out"] / "grades.csv").read_bytes()).hexdigest()
    assert after == local["digest"]
    for path in local["out"].glob("*/results.json"):
        record = json.loads(path.read_text())
        assert {"key", "status", "scores"} <= set(record)  # the grader's, not a forgery's
        assert all(score != 999 for score in record["scores"].values())


def test_the_grader_never_unpickles_what_the_student_side_wrote(local):
    assert not PWNED.exists()


@pytest.mark.parametrize("name", ["read-hidden-material.ipynb", "leak-in-error-message.ipynb"])
def test_hidden_material_never_reaches_what_a_student_sees(local, name):
    folder = local["out"] / name
    shown = (folder / "executed.ipynb").read_text() + (folder / "results.json").read_text()
    for snippet in HIDDEN_SNIPPETS:
        assert snippet not in shown


def test_huge_output_is_cut_in_the_stored_notebook(local):
    stored = local["out"] / "huge-output.ipynb" / "executed.ipynb"
    assert stored.stat().st_size < 2_000_000


@pytest.fixture(scope="module")
def emulated(forgeries, built, tmp_path_factory):
    os.environ["POOLSIDE_CELL_TIMEOUT"] = str(CELL_TIMEOUT)
    folders = {name: tmp_path_factory.mktemp("gs") for name in forgeries}
    try:  # two at a time, as the local batch does
        with ThreadPoolExecutor(max_workers=2) as pool:
            reports = pool.map(lambda name: gradescope.main(forgeries[name], built["autograder"],
                                                            folders[name]), list(forgeries))
            return dict(zip(forgeries, reports))
    finally:
        del os.environ["POOLSIDE_CELL_TIMEOUT"]


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_forgery_earns_only_what_its_honest_part_earns_on_gradescope(emulated, built, name):
    report = emulated[name]
    assert report["results"] is not None, report.get("log")
    assert report["problems"] == []
    scores = {t["name"]: t["score"] for t in report["results"]["tests"]}
    points = grade.question_points(built["autograder"])
    assert scores == _expected(points, FORGERIES[name][2]), report["results"]["output"]
    for test in report["results"]["tests"]:
        for snippet in HIDDEN_SNIPPETS:
            assert snippet not in test["output"]


def test_nothing_outlives_the_gradescope_runs(emulated):
    assert _leftovers() == []
