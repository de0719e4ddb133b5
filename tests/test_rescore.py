"""Rescoring without running: a change of verdicts or points is judged from the stored
reports in seconds, exactly as a run would judge them; a change of what is probed runs the
notebook again, and says so."""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest

from poolside import grade
from poolside.rescore import changes

from .conftest import CELL_TIMEOUT


def test_changes_counts_submissions_and_questions():
    before = [{"name": "a", "scores": {"q1": 2, "q2": 3}}, {"name": "b", "scores": {"q1": 2}},
              {"name": "c", "scores": {"q1": 0}}]
    after = [{"name": "a", "scores": {"q1": 0, "q2": 3}}, {"name": "b", "scores": {"q1": 0}},
             {"name": "c", "scores": {"q1": 1}}]
    assert changes(before, after) == ("3 submission(s) changed score; 2 lost points on q1; "
                                      "1 gained points on q1")
    assert changes(before, before) == "0 submission(s) changed score"
    reworded = [{**r, "checks": [{"message": "new words"}]} for r in before]
    assert changes(before, reworded) == "0 submission(s) changed score; 3 got different feedback"


def _changed_zip(autograder, target, path, extra: str):
    """A copy of the zip with ``extra`` appended to one of its files."""
    with zipfile.ZipFile(autograder) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            new.writestr(info, data + extra.encode() if info.filename == path else data)
    return target


STRICTER_Q15B = """

from poolside.grading.feedback import GradingError


@check("q15b", points=3, public=True, probes=_probes)
def test_shrinkage_table(grading, reports):
    \"\"\"the shrinkage table reports counts, means and shrinkage\"\"\"
    raise GradingError("stricter now")
"""


def _class_copy(batch, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(batch["out"], out)
    return out


def _records(out):
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/results.json")}


def _grade(paths, out, autograder, messages):
    return grade.main(paths, out, autograder, jobs=2, timeout=600, cell_timeout=CELL_TIMEOUT,
                      echo=messages.append)


@pytest.mark.slow
def test_a_new_verdict_is_judged_from_stored_reports_as_a_run_would(batch, built, tmp_path):
    out = _class_copy(batch, tmp_path)
    before = _records(out)
    same = _changed_zip(built["autograder"], tmp_path / "same.zip",
                        "files/autograder/checks/test_q15b.py", "\n# a comment: nothing changes\n")
    messages = []
    _grade([built["examples"]], out, same, messages)
    after = _records(out)
    graded = [n for n, r in before.items() if r["status"] == "graded"]
    assert len(graded) >= 6
    assert f"rescored {len(graded)} submission(s)" in "".join(messages), messages
    assert "0 submission(s) changed score" in "".join(messages)
    for name in graded:
        assert after[name]["rescored"] and after[name]["key"] != before[name]["key"]
        assert after[name]["scores"] == before[name]["scores"]
        assert after[name]["checks"] == before[name]["checks"]  # messages included
        assert after[name]["reason"] == before[name]["reason"]
        assert "seconds" in after[name]  # the run's own time, kept

    stricter = _changed_zip(built["autograder"], tmp_path / "stricter.zip",
                            "files/autograder/checks/test_q15b.py", STRICTER_Q15B)
    messages = []
    table = _grade([built["examples"]], out, stricter, messages)
    full_q15b = sum(1 for n in graded if before[n]["scores"]["q15b"] > 0)
    assert f"{full_q15b} lost points on q15b" in "".join(messages), messages
    assert (table[table["status"] == "graded"]["q15b"] == 0).all()
    correct = next(r for r in _records(out).values() if r["file"].endswith("/correct.ipynb"))
    assert "stricter now" in json.dumps(correct["checks"])


@pytest.mark.slow
def test_a_change_of_what_is_probed_runs_the_notebook_again(batch, built, tmp_path):
    out = _class_copy(batch, tmp_path)
    probed = _changed_zip(built["autograder"], tmp_path / "probed.zip",
                          "files/poolside/grading/sandboxed/probes.py", "\n# the probes moved\n")
    messages = []
    untouched = built["examples"] / "untouched.ipynb"
    _grade([untouched], out, probed, messages)
    assert "1 submission(s) are run again: what is probed changed" in "".join(messages)
    record = next(r for r in _records(out).values() if r["file"].endswith("/untouched.ipynb"))
    assert record["status"] == "graded" and not record.get("rescored")
    assert record["key"].endswith(grade.hashlib.sha256(probed.read_bytes()).hexdigest())
