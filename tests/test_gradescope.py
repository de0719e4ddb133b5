"""A Gradescope run emulated here: the zip's entry point, the results specification."""

import zipfile

import pytest

from poolside import gradescope


@pytest.mark.slow
def test_gradescope_run_writes_results_that_follow_the_specification(built, tmp_path):
    report = gradescope.main(built["student"] / built["solution"].name, built["autograder"],
                             tmp_path)
    assert report["results"] is not None, report.get("log")
    assert report["problems"] == []
    assert report["environment"] == []
    tests = report["results"]["tests"]
    assert report["results"]["score"] == 0
    assert {t["extra_data"]["question"] for t in tests} >= {"q2", "q3", "q11", "q17"}
    # Before grades are published a student sees the parts grader.check showed them, with
    # what to fix, and a message in their words; the rest waits for publication.
    shown = {t["extra_data"]["question"]: t for t in tests if t["visibility"] == "visible"}
    assert set(shown) == {"q2", "q3", "q5", "q6", "q7", "q9", "q10", "q11", "q13", "q14", "q15b",
                          "q15d"}
    assert "`fit_complete_pooled` is not written yet" in shown["q3"]["output"]
    assert {t["visibility"] for t in tests if t not in shown.values()} == {"after_published"}
    assert "when grades are published" in report["results"]["output"]
    assert "bubblewrap" not in report["results"]["output"]
    tree = tmp_path / "autograder"
    assert {p.name for p in tree.iterdir()} >= {"source", "submission", "results",
                                                "submission_metadata.json"}


def test_validate_results_names_each_missing_field():
    problems = gradescope.validate_results({"tests": [{"name": "q1", "score": 1}]})
    text = "\n".join(problems)
    for field in ("top-level 'score'", "'output'", "'max_score'", "'status'", "'visibility'"):
        assert field in text


def test_validate_results_accepts_a_complete_file():
    results = {"score": 1.0, "tests": [{"name": "q1", "score": 1.0, "max_score": 1.0,
                                        "status": "passed", "visibility": "hidden",
                                        "output": ""}]}
    assert gradescope.validate_results(results) == []


def test_check_environment_pins_python_and_every_package(built):
    assert gradescope.check_environment(built["autograder"]) == []


def test_check_environment_flags_unpinned_packages_and_grading_time_fetches(built, tmp_path):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(built["autograder"]) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "environment.yml":
                data = data.replace(b"pymc==", b"pymc>=")
            if info.filename == "run_autograder":
                data += b"\npip install requests\n"
            dst.writestr(info, data)
    problems = "\n".join(gradescope.check_environment(bad))
    assert "unpinned" in problems and "pymc" in problems
    assert "fetches at grading time" in problems
