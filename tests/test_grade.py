"""``poolside grade`` on the example submissions: statuses, scores, outputs, resuming."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tests.project import results_folder
import pytest

from poolside import grade
from poolside.gradebook import read_grades
from tests.project import REGISTRY
from solutions.examples import EXPECTED

from .conftest import CELL_TIMEOUT

pytestmark = pytest.mark.slow


def _rows(batch):
    table = batch["table"]
    return {Path(f).name: row for f, row in zip(table["file"], table.to_dict("records"))}


def test_grade_batch_has_at_least_eight_kinds_of_submission(batch):
    assert len(batch["table"]) == len(EXPECTED) >= 8


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_grade_gives_each_example_its_expected_status_and_scores(batch, built, name):
    status, below_full = EXPECTED[name]
    row = _rows(batch)[name]
    assert row["status"] == status, row["reason"]
    assert row["reason"] or status == "graded"
    points = grade.question_points(built["autograder"])
    scores = {q: row[q] for q in points}
    if below_full == "all zero":
        assert all(v == 0 for v in scores.values())
    elif below_full is not None:
        assert scores == {q: float(below_full.get(q, p)) for q, p in points.items()}
    else:  # not graded: blank, not a zero that would read as a score
        assert pd.isna(row["total"])


def test_grade_reports_the_interrupted_cell_of_an_infinite_loop(batch):
    assert "ran past" in _rows(batch)["infinite-loop.ipynb"]["reason"]


def test_grade_names_the_dead_kernel(batch):
    assert "kernel died" in _rows(batch)["kernel-exit.ipynb"]["reason"]


def test_grade_writes_the_table_plot_and_per_submission_results(batch, built):
    out = batch["out"]
    table = read_grades(out / "grades.csv")
    points = list(grade.question_points(built["autograder"]))
    assert list(table.columns) == ["student_id", "name", "email", "file", *points, "total",
                                   "percent", "status", "reason", "seconds", "feedback"]
    assert points == list(REGISTRY.questions)  # the order the notebook asks them in
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 3 and "q11" in report
    page = (results_folder(out, "correct.ipynb") / "feedback.html").read_text()
    assert "<b>51</b> of 51 points" in page and "No answer found." not in page
    untouched = (results_folder(out, "untouched.ipynb") / "feedback.html").read_text()
    assert "not answered yet" in untouched and untouched.count("No answer found.") == len(
        grade.written_points(built["autograder"]))
    record = json.loads((results_folder(out, "correct.ipynb") / "results.json").read_text())
    assert record["status"] == "graded" and record["gradescope"]["score"] == sum(
        grade.question_points(built["autograder"]).values())
    assert (results_folder(out, "correct.ipynb") / "executed.ipynb").exists()


def test_grade_finishes_in_bounded_time(batch):
    # 12 submissions, 2 at a time: well under one timeout per submission in all.
    assert batch["seconds"] < 600


def test_grade_rerun_skips_everything(batch, built):
    messages = []
    table = grade.main([built["examples"]], batch["out"], built["autograder"], jobs=2,
                       timeout=600, cell_timeout=CELL_TIMEOUT, echo=messages.append)
    assert f"{len(EXPECTED)} submission(s) already graded" in "".join(messages)
    pd.testing.assert_frame_equal(table, batch["table"])


def test_grade_records_a_timeout_and_goes_on(built, tmp_path):
    # A limit of 4 s: the cells get half of it, then the probes run in what is left. On a
    # loaded machine the student's side is stopped at the limit (status timeout); on a quick
    # one the probes finish in time on a notebook none of whose cells ran (graded, with the
    # reason). Either way it is recorded as stopped, earns nothing, and the batch goes on.
    # (Within a real limit, a loop is stopped early enough for the probes to run:
    # tests/test_adversary.py, starve-the-probes.)
    loop = built["examples"] / "infinite-loop.ipynb"
    quick = built["examples"] / "notes.txt"
    table = grade.main([loop, quick], tmp_path, built["autograder"], jobs=2, timeout=4,
                       cell_timeout=600, echo=lambda text: None)
    rows = {Path(f).name: r for f, r in zip(table["file"], table.to_dict("records"))}
    assert rows["notes.txt"]["status"] == "invalid"
    loop_row = rows["infinite-loop.ipynb"]
    assert (loop_row["status"] == "timeout"
            or (loop_row["status"] == "graded" and "used up its time" in loop_row["reason"])), \
        loop_row
    assert loop_row["total"] == 0


def test_grade_interrupted_keeps_finished_results_and_resumes(built, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "notes.txt").write_bytes((built["examples"] / "notes.txt").read_bytes())
    (subs / "interrupted-loop.ipynb").write_bytes(
        (built["examples"] / "infinite-loop.ipynb").read_bytes())
    out = tmp_path / "out"
    command = [sys.executable, "-m", "poolside.cli", "grade", str(subs), "--out", str(out),
               "--autograder", str(built["autograder"]), "--jobs", "2", "--timeout", "600",
               "--cell-timeout", "600"]
    # Ctrl-C's default action, even when this suite runs where SIGINT is ignored (a background
    # job of a non-interactive shell inherits SIG_IGN, and Python then never raises
    # KeyboardInterrupt).
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not list(out.glob("*_notes.txt-*/results.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # let the infinite loop's worker get going
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)  # returns promptly: the running worker is killed
    assert list(out.glob("*_notes.txt-*/results.json"))
    assert not list(out.glob("*_interrupted-loop.ipynb-*/results.json"))
    table = read_grades(out / "grades.csv")
    assert [Path(f).name for f in table["file"]] == ["notes.txt"]
    time.sleep(1)
    leftover = subprocess.run(["pgrep", "-f", "interrupted-loop.ipynb"],
                              capture_output=True, text=True).stdout
    assert leftover == ""
    messages = []
    grade.main([subs / "notes.txt"], out, built["autograder"], echo=messages.append)
    assert "1 submission(s) already graded" in "".join(messages)
