"""Nothing in a gradebook is lost: every file one row, whatever its name; grading a few into a
class's folder updates their rows and keeps the others'; a file's folder depends on the file
alone."""

from __future__ import annotations

import csv

from poolside import grade, intake
from poolside.gradebook import POINTS_ROW, read_grades, write_lms, write_table

#: Names a class folder really holds: a leading dash (an option to a shell), spreadsheet
#: formula starters, commas, quotes, a newline, non-ASCII, one longer than a folder name may be.
HOSTILE = ["-2.ipynb", "=HYPERLINK(1).ipynb", "+x.ipynb", "@y.ipynb", "a,b.ipynb",
           'say "hi".ipynb', "new\nline.ipynb", "ñandú Ölçek.ipynb", "x" * 240 + ".ipynb"]


def _class(root, names):
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        (root / name).write_text("")  # empty: invalid at once, nothing is run
    return root


def _grade(paths, out, built):
    return grade.main(paths, out, built["autograder"], jobs=1, echo=lambda text: None)


def test_every_file_gets_exactly_one_row_whatever_its_name(built, tmp_path):
    subs = _class(tmp_path / "subs", HOSTILE)
    _class(subs / "a", ["same.ipynb"])
    _class(subs / "b", ["same.ipynb", "same.ipynb-2"])
    table = _grade([subs], tmp_path / "out", built)
    files = {str(p) for p in subs.rglob("*") if p.is_file()}
    assert len(table) == len(files) == len(HOSTILE) + 3
    written = read_grades(tmp_path / "out" / "grades.csv")
    assert sorted(f.lstrip("'") for f in written["file"]) == sorted(files)
    assert (written["status"] == "invalid").all()
    assert len({p.name for p in (tmp_path / "out").iterdir() if p.is_dir()}) == len(files)


def test_grading_a_few_into_a_class_folder_keeps_the_other_rows(built, tmp_path):
    subs = _class(tmp_path / "subs", ["ana.ipynb", "ben.ipynb", "cat.ipynb"])
    out = tmp_path / "out"
    _grade([subs], out, built)
    (subs / "ben.ipynb").write_text("{}")  # ben hands in again: still invalid, a new reason
    table = _grade([subs / "ben.ipynb"], out, built)
    assert sorted(p.split("/")[-1] for p in table["file"]) == ["ana.ipynb", "ben.ipynb",
                                                             "cat.ipynb"]
    ben = table[table["file"].str.endswith("ben.ipynb")].iloc[0]
    assert "not valid notebook JSON" not in ben["reason"] and "empty" not in ben["reason"]


def test_a_file_s_folder_depends_on_the_file_alone(tmp_path):
    one = _class(tmp_path / "x", ["kim.ipynb"]) / "kim.ipynb"
    alone = intake.discover([one])[0].name
    crowded = {s.path: s.name for s in intake.discover([_class(tmp_path / "y", ["kim.ipynb"]),
                                                        tmp_path / "x"])}
    assert crowded[one] == alone == intake.folder_name(one)
    assert alone.startswith("x_kim.ipynb-") and len(set(crowded.values())) == 2


def test_a_gradescope_export_is_read_as_its_submissions(built, tmp_path):
    export = tmp_path / "export"
    for sid in ("submission_101", "submission_102"):
        _class(export / sid, ["hierarchical.ipynb"])
    (export / "submission_metadata.yml").write_text("submission_101:\n  :submitters: []\n")
    table = _grade([export], tmp_path / "out", built)
    assert len(table) == 2  # Gradescope's own metadata file is not a submission
    folders = sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir())
    assert [f.split("-")[0] for f in folders] == ["submission_101_hierarchical.ipynb",
                                                  "submission_102_hierarchical.ipynb"]


POINTS = {"q1": 2.0, "q2": 4.0}
ANA = {"sid": "1001", "name": "Ana Ruiz", "email": "ana@uni.edu"}
BEN = {"sid": "1002", "name": "=Ben", "email": "ben@uni.edu"}


def _records():
    return [
        {"file": "/c/a1.ipynb", "status": "graded", "reason": "", "scores": {"q1": 2, "q2": 1},
         "people": [ANA]},
        {"file": "/c/a2.ipynb", "status": "graded", "reason": "", "scores": {"q1": 2, "q2": 4},
         "people": [ANA]},  # Ana handed in twice: the better one counts in the LMS files
        {"file": "/c/b.ipynb", "status": "invalid", "reason": "the notebook is empty",
         "scores": {}, "people": [BEN]},
        {"file": "/c/x.ipynb", "status": "graded", "reason": "", "scores": {"q1": 0, "q2": 0},
         "people": []},
    ]


def test_grades_csv_names_students_leaves_ungraded_cells_blank_and_states_points(tmp_path):
    table = write_table(_records(), POINTS, tmp_path)
    with open(tmp_path / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["name"] == POINTS_ROW and (rows[0]["q2"], rows[0]["total"]) == ("4.0", "6.0")
    ben = rows[3]
    assert ben["name"] == "'=Ben" and ben["status"] == "invalid"
    assert ben["q1"] == ben["q2"] == ben["total"] == ""  # not a zero: nothing was graded
    assert rows[4]["total"] == "0.0"  # graded and wrong: a real zero
    back = read_grades(tmp_path / "grades.csv")
    assert len(back) == len(table) == 4 and back["total"].isna().sum() == 1


def test_lms_files_have_one_row_per_student_with_the_best_file(tmp_path):
    assert write_lms(_records(), POINTS, tmp_path, "hierarchical") == 2
    assert (tmp_path / "canvas.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel: UTF-8
    with open(tmp_path / "canvas.csv", newline="", encoding="utf-8-sig") as handle:
        canvas = list(csv.DictReader(handle))
    assert list(canvas[0]) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                               "hierarchical"]
    assert canvas[0]["Student"] == POINTS_ROW and canvas[0]["hierarchical"] == "6.0"
    assert {r["Student"]: r["hierarchical"] for r in canvas[1:]} == {"Ana Ruiz": "6.0",
                                                                    "'=Ben": ""}
    with open(tmp_path / "gradebook.csv", newline="", encoding="utf-8-sig") as handle:
        plain = {r["student_id"]: r for r in csv.DictReader(handle)}
    assert (plain["1001"]["score"], plain["1001"]["points_possible"]) == ("6.0", "6.0")
    assert plain["1002"]["score"] == "" and plain["1002"]["status"] == "invalid"


def test_a_student_named_twice_is_one_lms_row_and_a_signed_id_is_not_quoted(tmp_path):
    ana_roster = {"sid": "-1001", "name": "Ruiz, Ana", "canvas_id": "77"}
    ana_export = {"sid": "-1001", "name": "Ruiz, Ana", "canvas_id": "77", "email": "ana@uni.edu"}
    records = [{"file": "a.ipynb", "status": "graded", "scores": {"q1": 2, "q2": 4},
                "people": [ana_export]},
               {"file": "b.ipynb", "status": "invalid", "scores": {}, "people": [ana_roster]}]
    assert write_lms(records, POINTS, tmp_path, "hw") == 1
    with open(tmp_path / "canvas.csv", newline="", encoding="utf-8-sig") as handle:
        (row,) = list(csv.DictReader(handle))[1:]
    assert (row["ID"], row["SIS User ID"], row["hw"]) == ("77", "-1001", "6.0")


def test_a_name_learned_on_a_later_run_is_kept_for_the_runs_after(built, tmp_path):
    subs = _class(tmp_path / "subs", ["kim.ipynb"])
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name,email\n501,Kim Ng,kim@uni.edu\n")
    out = tmp_path / "out"
    _grade([subs], out, built)  # no roster: nobody is known
    grade.main([subs], out, built["autograder"], jobs=1, echo=lambda text: None,
               class_roster=roster)
    table = _grade([subs], out, built)  # no roster again: the name learned is kept
    assert list(table["name"]) == ["Kim Ng"]
