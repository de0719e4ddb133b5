"""Who handed in what: Gradescope's export metadata and a class roster name each file."""

from __future__ import annotations

import pytest

from poolside import intake, roster
from poolside.roster import Person

#: As Gradescope writes it: Ruby symbols as keys, a Ruby-tagged score, a group of two.
METADATA = """\
submission_101:
  :submitters:
  - :name: Ana Ruiz
    :sid: '1001'
    :email: ana@uni.edu
  :created_at: 2026-11-30 10:00:00.000000000 -08:00
  :score: !ruby/object:BigDecimal 18:0.51e2
submission_102:
  :submitters:
  - :name: Ben Ode
    :sid: '1002'
    :email: ben@uni.edu
  - :name: Cy Lam
    :sid: '1003'
    :email: cy@uni.edu
"""


def _export(root):
    root.mkdir(parents=True)
    (root / "submission_metadata.yml").write_text(METADATA)
    for folder in ("submission_101", "submission_102"):
        (root / folder).mkdir()
        (root / folder / "hierarchical.ipynb").write_text("{}")
    return root


def test_a_gradescope_export_names_each_submission_s_students(tmp_path):
    export = _export(tmp_path / "export")
    files = [s.path for s in intake.discover([export])]
    assert len(files) == 2  # the metadata is not a submission
    people = roster.identify(files, roster.find_exports([export]))
    ana, group = (people[f] for f in sorted(files))
    assert ana == [Person(sid="1001", name="Ana Ruiz", email="ana@uni.edu")]
    assert [p.name for p in group] == ["Ben Ode", "Cy Lam"]


def test_a_roster_adds_what_the_export_does_not_know(tmp_path):
    export = _export(tmp_path / "export")
    (tmp_path / "roster.csv").write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section\n"
        "    Points Possible,,,,\n"
        "Ana Ruiz,77,1001,aruiz,S1\n")
    students, _ = roster.read_roster(tmp_path / "roster.csv")
    assert students == [Person(sid="1001", name="Ana Ruiz", login="aruiz", canvas_id="77",
                               section="S1")]
    files = sorted(s.path for s in intake.discover([export]))
    ana = roster.identify(files, roster.find_exports([export]), students)[files[0]][0]
    assert (ana.canvas_id, ana.login, ana.email) == ("77", "aruiz", "ana@uni.edu")


def test_loose_files_are_matched_to_the_roster_by_name_and_never_to_two_students(tmp_path):
    (tmp_path / "roster.csv").write_text(
        "student_id,name,email,file\n"
        "s-501,Kim Ng,kim@uni.edu,\n"
        "s-502,Lee Ng,lee@uni.edu,late-upload.ipynb\n"
        "s-503,Max Ng,max@uni.edu,\n")
    students, by_file = roster.read_roster(tmp_path / "roster.csv")
    subs = tmp_path / "subs"
    subs.mkdir()
    names = ["kim.ipynb", "late-upload.ipynb", "s-503_hw.ipynb", "kim_and_max.ipynb",
             "nobody.ipynb"]
    for name in names:
        (subs / name).write_text("{}")
    found = roster.identify([subs / n for n in names], {}, students, by_file)
    assert [[p.name for p in found[subs / n]] for n in names] == [
        ["Kim Ng"], ["Lee Ng"], ["Max Ng"], [], []]


def test_a_roster_that_names_nobody_is_refused(tmp_path):
    (tmp_path / "roster.csv").write_text("colour,size\nred,3\n")
    with pytest.raises(ValueError, match="no column says who"):
        roster.read_roster(tmp_path / "roster.csv")


def test_unreadable_metadata_is_said_not_guessed(tmp_path):
    (tmp_path / "submission_metadata.yml").write_text("- just\n- a list\n")
    with pytest.raises(ValueError, match="one entry per submission folder"):
        roster.read_export(tmp_path / "submission_metadata.yml")


def test_only_takes_the_files_that_are_submissions(tmp_path):
    (tmp_path / "a.ipynb").write_text("{}")
    (tmp_path / "data.csv").write_text("x\n")
    assert [s.path.name for s in intake.discover([tmp_path], ["*.ipynb"])] == ["a.ipynb"]
    assert len(intake.discover([tmp_path])) == 2
    assert [s.path.name for s in intake.discover([tmp_path / "data.csv"], ["*.ipynb"])] == [
        "data.csv"]  # named on the command line: always taken


def test_a_roster_from_excel_in_another_locale_is_read(tmp_path):
    (tmp_path / "roster.csv").write_bytes(
        "student_id;name;email\n501;Zoë Ng;zoe@uni.edu\n".encode("cp1252"))
    (zoe,), _ = roster.read_roster(tmp_path / "roster.csv")
    assert (zoe.sid, zoe.name, zoe.email) == ("501", "Zoë Ng", "zoe@uni.edu")


def test_one_student_named_differently_by_export_and_roster_is_one_student():
    canvas = Person(sid="1002", name="Okafor, Bob", login="bokafor", canvas_id="55")
    gradescope = Person(sid="", name="Bob Okafor", email="bokafor@uni.edu")
    assert roster.same_student(canvas, gradescope) and roster.same_student(gradescope, canvas)
    assert not roster.same_student(canvas, Person(sid="1003", name="Okafor, Bob"))


def test_only_roster_students_without_a_file_are_missing(tmp_path):
    from dataclasses import asdict

    from poolside.grade import _missing

    export = _export(tmp_path / "export")
    (tmp_path / "roster.csv").write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section\n"
        '"Ruiz, Ana",77,1001,aruiz,S1\n'
        '"Ode, Ben",78,,ben,S1\n'  # no SIS id: known by login, the local part of his email
        '"Schmidt, Heidi",79,1009,hschmidt,S1\n')
    students, _ = roster.read_roster(tmp_path / "roster.csv")
    files = sorted(s.path for s in intake.discover([export]))
    found = roster.identify(files, roster.find_exports([export]), students)
    records = [{"file": str(f), "status": "graded", "scores": {},
                "people": [asdict(p) for p in found[f]]} for f in files]
    assert found[files[0]][0].name == "Ruiz, Ana"  # the roster's own name
    missing = _missing(records, tmp_path / "roster.csv")
    assert [m["people"][0]["name"] for m in missing] == ["Schmidt, Heidi"]
