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
