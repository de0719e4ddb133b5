"""The runner's trusted half: results.json, capping, and what reaches a spreadsheet."""

from tests.project import REGISTRY as registry
from poolside.grading.runner import gradescope_results, question_scores
from poolside import gradescope
from poolside.gradebook import write_table


def _results(passed: bool):
    return [{"question": c.question, "name": c.name, "points": c.points, "passed": passed,
             "message": "" if passed else "look at the likelihood"} for c in registry.cases]


def _results_with(passed_cases: set[str]):
    return [{"question": c.question, "name": c.name, "points": c.points, "public": c.public,
             "passed": c.name in passed_cases,
             "message": "" if c.name in passed_cases else "look at the likelihood"}
            for c in registry.cases]


def test_what_the_public_checks_judged_is_shown_at_once_and_the_rest_once_published():
    model = "the complete pooled model has the priors and likelihood asked for"
    results = _results_with({model})
    out = gradescope_results(results, registry.score(results), registry.questions,
                             ["1 cell(s) raised an error"], {"q5c": 1.0})
    assert gradescope.validate_results(out) == []
    shown = [t for t in out["tests"] if t["visibility"] == "visible"]
    assert {t["extra_data"]["question"] for t in shown} == {
        "q2", "q3", "q5", "q6", "q7", "q9", "q10", "q11", "q13", "q14", "q15b", "q15d"}
    assert {t["visibility"] for t in out["tests"]} == {"visible", "after_published"}
    q3 = [t for t in out["tests"] if t["extra_data"]["question"] == "q3"]
    assert [(t["score"], t["max_score"]) for t in q3] == [(2.0, 2.0), (0.0, 4.0)]
    q5 = [t for t in out["tests"] if t["extra_data"]["question"] == "q5"]
    assert [(t["score"], t["max_score"]) for t in q5] == [(0.0, 6.0)]
    assert "look at the likelihood" in q3[1]["output"]
    assert question_scores(out) == registry.score(results)
    # A student reads what counts now, what comes later and what is graded by hand, and no
    # word about how the grader runs.
    text = out["output"]
    assert "Shown now (q2, q3, q5, q6, q7, q9, q10, q11, q13, q14, q15b, q15d): 2 of 33 points" \
        in text
    assert "The other 18 autograded points" in text and "when grades are published" in text
    assert "Written answers (q5c; 1 points) are graded by hand" in text
    assert "1 cell(s) raised an error" in text
    assert "sandbox" not in text.lower() and "bubblewrap" not in text.lower()
    assert len([t for t in out["tests"] if not t["visibility"] == "visible"]) == \
        len({c.question for c in registry.cases if not c.public})


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
    odd["cells"][0]["outputs"].append("not an output")  # dropped, the rest kept
    (tmp_path / "out" / "executed.ipynb").write_text(json.dumps(odd))
    assert _executed(tmp_path, stored)[0] == ["NameError"]
    assert len(nbformat.read(stored, as_version=4).cells[0].outputs) == 2
    odd["cells"] = {"not": "a list"}  # not a notebook: not stored
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


def test_a_notebook_from_another_handout_is_said_to_be(tmp_path):
    import json

    from poolside.grading.assignment import HANDOUT, load, public_tests_digest
    from poolside.grading.runner import _from_another_handout
    from tests import project as paths

    handout = {"metadata": {"otter": {"tests": {"q2": "def test_a(): ..."}}}, "cells": []}
    current, old = tmp_path / "current.ipynb", tmp_path / "old.ipynb"
    current.write_text(json.dumps(handout))
    handout["metadata"]["otter"]["tests"]["q2"] = "def test_b(): ..."
    old.write_text(json.dumps(handout))
    assignment = load(paths.ROOT)
    folder = tmp_path / "zip"
    folder.mkdir()
    object.__setattr__(assignment, "root", folder)
    (folder / HANDOUT).write_text(json.dumps({"public_tests": [public_tests_digest(current)]}))
    current, old = public_tests_digest(current), public_tests_digest(old)
    assert not _from_another_handout(current, assignment)
    assert _from_another_handout(old, assignment)
    (folder / HANDOUT).unlink()  # a zip that recorded nothing: nothing is said
    assert not _from_another_handout(old, assignment)


def test_only_records_as_the_executor_last_wrote_them_are_believed(tmp_path, monkeypatch):
    import numpy as np

    from poolside.grading import runner
    from poolside.grading.sandboxed import wire

    out = tmp_path / "out"
    out.mkdir()
    entries = [{"id": "a", "probe": "call"}, {"id": "b", "probe": "call"},
               {"id": "c", "probe": "call"}]
    digests = {e["id"]: wire.dump({"outcome": "returned", "value": np.zeros(1000)}, out,
                                  e["id"]) for e in entries}
    digests["run:execution"] = wire.dump({"cells": {"3": "timeout"}, "completed": True}, out,
                                         "execution")
    reports, execution = runner._reports(tmp_path, entries, digests)
    assert all(reports.values()) and execution["cells"] == {"3": "timeout"}
    # rewritten after the executor's last word: a report is dropped, the run record unknown
    wire.dump({"outcome": "returned", "value": np.ones(1000)}, out, "b")
    wire.dump({"cells": {"3": "died"}, "completed": True}, out, "execution")
    reports, execution = runner._reports(tmp_path, entries, digests)
    assert reports["b"] is None and execution == {"unconfirmed": True, "changed": ["b"]}
    # past what the reports may take together: the rest is said to be too large, unread
    monkeypatch.setattr(runner, "MAX_REPORTS", 10_000)
    reports, _ = runner._reports(tmp_path, entries, digests)
    assert reports["a"]["outcome"] == "returned"
    assert reports["c"] == {"outcome": "unreadable",
                            "message": "the reports together were too large"}


def test_an_executed_notebook_changed_after_the_run_is_not_read(tmp_path):
    import json

    from poolside.grading.runner import _executed
    from poolside.grading.sandboxed import wire

    (tmp_path / "out").mkdir()
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": "f()",
         "outputs": [{"output_type": "error", "ename": "NameError", "evalue": "f",
                      "traceback": []}]}]}
    data = json.dumps(nb).encode()
    (tmp_path / "out" / "executed.ipynb").write_bytes(data)
    stored = tmp_path / "stored.ipynb"
    assert _executed(tmp_path, stored, expected=wire.digest_of((data,)))[0] == ["NameError"]
    assert stored.exists()
    assert _executed(tmp_path, stored, expected="absent") == ([], [])
    assert not stored.exists()


def _structure_bomb(path):
    """A notebook whose metadata holds 300,000 empty objects (about 1 MB; at 50 MB, 8 GB and
    a minute of CPU to parse and validate)."""
    import json

    nb = {"nbformat": 4, "nbformat_minor": 5, "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "source": "1",
         "outputs": []}], "metadata": {}}
    text = json.dumps(nb).replace('"metadata": {}}', '"metadata": {"x": [' +
                                  "{}," * 300_000 + "{}]}}")
    path.write_text(text)
    return path


def test_a_notebook_of_millions_of_objects_is_refused_before_it_is_parsed(tmp_path):
    from poolside.intake import Submission, prepare

    bomb = _structure_bomb(tmp_path / "bomb.ipynb")
    (tmp_path / "work").mkdir()
    path, reason = prepare(Submission(bomb, "bomb.ipynb"), tmp_path / "work", None)
    assert path is None and "far more structure than a notebook has" in reason


def test_gradescope_refuses_such_a_notebook_with_a_message(tmp_path):
    import json

    from poolside.grading.runner import _gradescope
    from tests.project import ASSIGNMENT

    (tmp_path / "submission").mkdir()
    _structure_bomb(tmp_path / "submission" / "hierarchical.ipynb")
    assert _gradescope(tmp_path, ASSIGNMENT) == 0
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert results["score"] == 0 and "could not be read" in results["output"]
