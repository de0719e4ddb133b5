"""A student's feedback page and the class report: what they show, and that nothing a student
wrote can run in the reader's browser."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from poolside.class_report import check_rates, write_report
from poolside.feedback_page import PLACEHOLDER, write_feedback, written_answers

POINTS = {"q1": 2.0, "q2": 4.0}
WRITTEN = {"q1b": 1.0, "q3": 2.0}
ANSWER = {"tags": ["otter_answer_cell"]}


def _notebook(path):
    nb = new_notebook(cells=[
        new_markdown_cell("<!-- BEGIN QUESTION -->\n\n**Exercise 1b.** Why?"),
        new_markdown_cell("Because <script>alert(1)</script> the prior is wide.", metadata=ANSWER),
        new_markdown_cell("<!-- END QUESTION -->\n\n<!-- BEGIN QUESTION -->\n\n**Exercise 3.**"),
        new_markdown_cell(PLACEHOLDER, metadata=ANSWER),
        new_markdown_cell("<!-- END QUESTION -->\n\n**Exercise 4.**"),
        new_code_cell("x = 1", metadata=ANSWER),  # an autograded answer: not a written one
    ])
    nbformat.write(nb, path)
    return path


def _record(**extra):
    return {"file": "/class/ana.ipynb", "status": "graded", "reason": "sandboxed",
            "scores": {"q1": 2.0, "q2": 1.0},
            "people": [{"sid": "1001", "name": "Ana Ruiz", "email": "ana@uni.edu"}],
            "checks": [
                {"question": "q1", "name": "plot shows the data", "points": 2.0, "passed": True,
                 "message": ""},
                {"question": "q2", "name": "model as described", "points": 3.0,
                 "passed": False, "unanswered": False,
                 "message": "The prior of `mu` is off. The cell `fit(x)` raised NameError: x"},
                {"question": "q2", "name": "fit agrees", "points": 1.0, "passed": True,
                 "message": ""}],
            "cells": [{"index": 4, "line": "fit(x)", "problem": "raised NameError: x"}],
            "about_run": ["the notebook called sys.exit; later cells still ran"], **extra}


def test_written_answers_are_found_in_their_question_s_block(tmp_path):
    answers = written_answers(_notebook(tmp_path / "nb.ipynb"), list(WRITTEN))
    assert answers["q1b"].startswith("Because") and answers["q3"] is None


def test_a_feedback_page_shows_scores_messages_cells_and_written_answers(tmp_path):
    _notebook(tmp_path / "executed.ipynb")
    page = write_feedback(_record(), tmp_path, POINTS, WRITTEN, "hierarchical").read_text()
    assert "<b>3</b> of 6 points" in page and "Ana Ruiz" in page
    assert "The prior of `mu` is off." in page and "Cell 5 (<code>fit(x)</code>)" in page
    assert "sys.exit" in page and "q1b (1 pt)" in page and "No answer found." in page
    assert "<script>" not in page and "&lt;script&gt;" in page  # escaped, never run
    assert "sandboxed" not in page  # the instructor's notes are not the student's


def test_an_ungraded_file_s_page_says_why(tmp_path):
    page = write_feedback({"file": "x.zip", "status": "invalid", "scores": {},
                           "reason": "the zip holds 2 notebooks; expected exactly 1"},
                          tmp_path, POINTS, WRITTEN, "hierarchical").read_text()
    assert "Not graded: the zip holds 2 notebooks" in page and "Autograded questions" not in page


def test_the_class_report_tells_untouched_from_wrong_and_counts_messages(tmp_path):
    untouched = _record(scores={"q1": 0.0, "q2": 0.0}, checks=[
        {"question": "q1", "name": "plot shows the data", "points": 2.0, "passed": False,
         "unanswered": True, "message": "not written yet"},
        {"question": "q2", "name": "model as described", "points": 3.0, "passed": False,
         "unanswered": True, "message": "not written yet"}])
    other = _record()
    other["checks"][1] = {**other["checks"][1], "message": "The prior of `mu` is off. The cell "
                          "`y = fit()` raised ValueError"}
    records = [_record(), other, untouched,
               {"file": "/class/z.txt", "status": "invalid", "reason": "not a notebook",
                "scores": {}}]
    rates = {(c["question"], c["name"]): c for c in check_rates(records)}
    model = rates[("q2", "model as described")]
    assert (model["total"], model["wrong"], model["unanswered"]) == (3, 2, 1)
    assert model["messages"] == [("The prior of `mu` is off.", 2)]  # counted without the cell
    page = write_report(records, POINTS, tmp_path, "hierarchical").read_text()
    assert page.count("data:image/png;base64,") == 3 and "not a notebook" in page
    assert "2 × The prior of `mu` is off." in page
