"""The runner's trusted half: results.json, capping, and what reaches a spreadsheet."""

from autograder.questions import REGISTRY as registry
from poolside.grading.runner import gradescope_results
from poolside.grading.sandbox import Sandbox
from poolside import gradescope
from poolside.grade import write_table


def _results(passed: bool):
    from autograder.questions import CASES

    return [{"question": c.question, "name": c.name, "points": c.points, "passed": passed,
             "message": "" if passed else "look at the likelihood"} for c in CASES]


def test_results_follow_gradescope_and_show_feedback_once_published():
    results = _results(False)
    out = gradescope_results(results, registry.score(results), ["unsandboxed"], Sandbox("none"),
                             registry.questions)
    assert gradescope.validate_results(out) == []
    assert {t["visibility"] for t in out["tests"]} == {"after_published"}
    assert "look at the likelihood" in out["tests"][0]["output"]
    assert "unsandboxed" in out["output"]


def test_a_question_never_scores_more_than_its_points():
    results = _results(True) + _results(True)  # every case twice, as a forged report might
    scores = registry.score(results)
    assert scores == registry.questions


def test_grades_csv_caps_scores_and_quotes_formulas(tmp_path):
    records = [{"file": "=HYPERLINK(\"http://x\")", "status": "graded",
                "reason": "+SUM(A1:A9)", "scores": {"q2": 147.0, "q3": "nan"}}]
    table = write_table(records, {"q2": 2.0, "q3": 6.0}, tmp_path)
    text = (tmp_path / "grades.csv").read_text()
    assert table.loc[0, "q2"] == 2.0 and table.loc[0, "q3"] == 0.0
    assert "'=HYPERLINK" in text and "'+SUM" in text


def test_an_executed_notebook_the_student_side_rewrote_never_stops_the_runner(tmp_path):
    import json

    import nbformat

    from poolside.grading.runner import _executed

    (tmp_path / "out").mkdir()
    odd = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "id": "a", "metadata": {}, "execution_count": 1, "source": "",
         "outputs": [{"output_type": "stream", "name": "stdout", "text": 12345},
                     {"output_type": "error", "ename": "NameError", "evalue": "x",
                      "traceback": []}]}]}
    (tmp_path / "out" / "executed.ipynb").write_text(json.dumps(odd))
    stored = tmp_path / "stored.ipynb"
    assert _executed(tmp_path, stored)[0] == ["NameError"]
    assert nbformat.read(stored, as_version=4).cells[0].outputs[0].text == "12345"
    odd["cells"][0]["outputs"].append("not an output")  # nbformat refuses it: not stored
    (tmp_path / "out" / "executed.ipynb").write_text(json.dumps(odd))
    assert _executed(tmp_path, stored) == ([], [])
    assert not stored.exists()


def test_an_upload_that_would_inflate_past_the_cap_is_refused_unread(tmp_path):
    import zipfile

    from poolside.intake import MAX_NOTEBOOK, Submission, prepare

    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("hierarchical.ipynb", "w", force_zip64=True) as entry:
            chunk = b" " * 2**20
            for _ in range(MAX_NOTEBOOK // len(chunk) + 8):
                entry.write(chunk)
    assert bomb.stat().st_size < 2**20
    notebook, reason = prepare(Submission(bomb, "bomb.zip"), tmp_path, None)
    assert notebook is None and "MB" in reason and "more than" in reason


def test_a_notebook_nested_past_the_recursion_limit_is_an_invalid_row_not_a_crash(tmp_path):
    from poolside.intake import Submission, prepare

    deep = tmp_path / "deep.ipynb"
    deep.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    notebook, reason = prepare(Submission(deep, "deep.ipynb"), tmp_path, None)
    assert notebook is None and "not valid notebook JSON" in reason


def test_on_gradescope_the_metadata_and_the_upload_are_roots_alone(tmp_path):
    import stat

    from poolside.grading.assignment import load
    from poolside.grading.runner import _gradescope
    from tests import project

    (tmp_path / "submission").mkdir(mode=0o755)
    metadata = tmp_path / "submission_metadata.json"
    metadata.write_text('{"users": [{"email": "student@example.edu"}]}')
    metadata.chmod(0o644)
    _gradescope(tmp_path, load(project.ROOT))  # no notebook: nothing graded, results say so
    assert stat.S_IMODE(metadata.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "submission").stat().st_mode) == 0o700
    assert "upload exactly one" in (tmp_path / "results" / "results.json").read_text()
