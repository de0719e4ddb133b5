"""The export cell: a valid zip and a page of written answers, with nothing but the notebook's
own packages, and never a half-written file under a submission's name."""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook

from assignment import submit
from tests import project as paths
from poolside.intake import Submission, assignment_name, prepare

ZIP, HTML = "hierarchical-submission.zip", "hierarchical-written-answers.html"


#: Otter Assign's tag on the cell a student answers in.
ANSWER_TAG = "otter_answer_cell"
LOCKED = {"editable": False, "deletable": False}  # how Otter Assign marks a prompt


def _question(prompt, *answers):
    return [new_markdown_cell("<!-- BEGIN QUESTION -->\n\n" + prompt, metadata=dict(LOCKED)),
            *[new_markdown_cell(a, metadata={"tags": [ANSWER_TAG]}) for a in answers],
            new_markdown_cell("<!-- END QUESTION -->", metadata=dict(LOCKED))]


@pytest.fixture
def folder(tmp_path):
    nb = new_notebook(cells=[
        new_markdown_cell("# Title"),
        *_question("**Exercise 4 (intuition).** What do you expect?", "All the same, about 58."),
        *_question("**Exercise 8 (intuition).** And now?", submit.PLACEHOLDER),
        # the answer typed into a new cell below the placeholder
        *_question("**Exercise 16.** Why?", submit.PLACEHOLDER, "Borrowing strength."),
    ])
    nb.metadata["otter"] = {"assignment_name": "spotify-hierarchical"}
    nbformat.write(nb, tmp_path / "hierarchical.ipynb")
    return tmp_path


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".export-")]


def test_written_answers_reads_prompts_answers_and_placeholders(folder):
    answers = submit.written_answers(nbformat.read(folder / "hierarchical.ipynb", as_version=4))
    assert [a["title"] for a in answers] == ["Exercise 4 (intuition)", "Exercise 8 (intuition)",
                                             "Exercise 16"]
    assert [a["answered"] for a in answers] == [True, False, True]
    assert answers[0]["answer"] == "All the same, about 58."
    assert answers[2]["answer"] == "Borrowing strength."
    assert answers[0]["prompt"] == "**Exercise 4 (intuition).** What do you expect?"


def test_written_answers_reads_markers_merged_into_other_cells():
    # Otter Assign's student notebooks put "END" and the next "BEGIN" into the next prompt cell.
    nb = new_notebook(cells=[
        new_markdown_cell("<!-- BEGIN QUESTION -->\n\n**Exercise 3 (interpretation).** Why?",
                          metadata=dict(LOCKED)),
        new_markdown_cell("First."),
        new_markdown_cell("<!-- END QUESTION -->\n\n<!-- BEGIN QUESTION -->\n\n**Exercise 4.** And?",
                          metadata=dict(LOCKED)),
        new_markdown_cell("Second."),
        new_markdown_cell("<!-- END QUESTION -->\n\n**Exercise 5.** Not a written answer.",
                          metadata=dict(LOCKED)),
    ])
    answers = submit.written_answers(nb)
    assert [(a["title"], a["answer"]) for a in answers] == [
        ("Exercise 3 (interpretation)", "First."), ("Exercise 4", "Second.")]
    assert "Exercise 5" not in answers[1]["prompt"]


def test_written_answers_of_an_unlocked_notebook_take_the_first_cell_as_the_prompt():
    nb = new_notebook(cells=[new_markdown_cell("<!-- BEGIN QUESTION -->"),
                             new_markdown_cell("**Exercise 9.** Why?"),
                             new_markdown_cell("Because."),
                             new_markdown_cell("<!-- END QUESTION -->")])
    [answer] = submit.written_answers(nb)
    assert (answer["prompt"], answer["answer"]) == ("**Exercise 9.** Why?", "Because.")


def test_export_writes_a_valid_zip_and_one_page_per_answer(folder, capsys):
    result = submit.export_submission("hierarchical.ipynb", folder)
    out = capsys.readouterr().out
    assert result["unanswered"] == ["Exercise 8 (intuition)"]
    assert "AUTOGRADED" in out and "WRITTEN-ANSWERS" in out and "Not answered yet (1)" in out
    with zipfile.ZipFile(folder / ZIP) as zf:
        assert zf.testzip() is None
        assert sorted(zf.namelist()) == sorted(["hierarchical.ipynb", HTML])
        assert zf.read("hierarchical.ipynb") == (folder / "hierarchical.ipynb").read_bytes()
    page = (folder / HTML).read_text(encoding="utf-8")
    assert page.count("<section>") == 3 and "break-after: page" in page
    assert "All the same, about 58." in page and "No answer was written." in page
    assert _leftovers(folder) == []


def test_a_failed_export_writes_nothing_and_keeps_the_earlier_zip(folder, monkeypatch, capsys):
    submit.export_submission("hierarchical.ipynb", folder)
    before = (folder / ZIP).read_bytes()
    nb = nbformat.read(folder / "hierarchical.ipynb", as_version=4)
    nb.cells.append(new_markdown_cell("an edit after the first export"))
    nbformat.write(nb, folder / "hierarchical.ipynb")

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(submit, "_check_zip", broken)
    assert submit.export_submission("hierarchical.ipynb", folder) is None
    assert "did not finish" in capsys.readouterr().out
    assert (folder / ZIP).read_bytes() == before
    assert _leftovers(folder) == []


def test_a_failed_first_export_leaves_no_file_named_like_a_submission(folder, monkeypatch):
    monkeypatch.setattr(submit.zipfile.ZipFile, "testzip", lambda self: "hierarchical.ipynb")
    assert submit.export_submission("hierarchical.ipynb", folder) is None
    assert sorted(p.name for p in folder.iterdir()) == ["hierarchical.ipynb"]


def test_an_unsaved_or_renamed_notebook_is_explained(tmp_path, capsys):
    assert submit.export_submission("hierarchical.ipynb", tmp_path) is None
    assert "Save the notebook" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_export_does_nothing_while_otter_grades(folder, monkeypatch):
    monkeypatch.setattr(submit, "_in_grading", lambda: True)
    assert submit.export_submission("hierarchical.ipynb", folder) is None
    assert not (folder / ZIP).exists()


def _manual_questions() -> int:
    master = nbformat.read(paths.MASTER, as_version=4)
    return sum(1 for c in master.cells if c.cell_type == "raw"
               and c.source.startswith("# BEGIN QUESTION") and "manual: true" in c.source)


def test_the_student_bundle_exports_without_pandoc_or_latex(built, tmp_path):
    """Run the bundle's own export cell, as a student would, in a kernel whose PATH holds no
    pandoc, LaTeX or browser: the zip must be gradable and the written answers complete."""
    from nbclient import NotebookClient

    student = tmp_path / "student"
    shutil.copytree(built["student"], student)
    notebook = student / "hierarchical.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    answered = 0
    for cell in nb.cells:  # type an answer into every written-answer cell
        if cell.cell_type == "markdown" and ANSWER_TAG in cell.metadata.get("tags", []):
            answered += 1
            cell.source = f"My written answer number {answered}."
    nbformat.write(nb, notebook)
    assert answered == _manual_questions() >= 9

    export_cells = [c for c in nb.cells if c.cell_type == "code" and "export_submission(" in c.source]
    assert len(export_cells) == 1
    probe = nbformat.v4.new_code_cell(
        "import shutil\nprint('found:', [t for t in ('pandoc', 'xelatex', 'pdflatex', "
        "'chromium', 'google-chrome', 'firefox') if shutil.which(t)])")
    run = nbformat.v4.new_notebook(cells=[probe, export_cells[0]], metadata=nb.metadata)
    empty_path = tmp_path / "bin"
    empty_path.mkdir()
    env = {**os.environ, "PATH": str(empty_path)}
    NotebookClient(run, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(student)}}).execute(env=env)

    outputs = [o for c in run.cells for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "found: []" in printed
    assert "upload it to the AUTOGRADED assignment" in printed and "print it to PDF" in printed
    assert "Not answered yet" not in printed

    zip_path = student / ZIP
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.testzip() is None
        assert sorted(zf.namelist()) == sorted(["hierarchical.ipynb", HTML])
        assert zf.read("hierarchical.ipynb") == notebook.read_bytes()
    graded, reason = prepare(Submission(zip_path, "s"), tmp_path,
                             assignment_name(built["autograder"]))
    assert graded is not None, reason

    page = (student / HTML).read_text(encoding="utf-8")
    sections = re.findall(r"<section>(.*?)</section>", page, flags=re.DOTALL)
    assert len(sections) == answered
    for number, section in enumerate(sections, start=1):
        assert f"Written answer {number} of {answered}" in section
        assert f"My written answer number {number}." in section
    assert "break-after: page" in page
    assert _leftovers(student) == [] and sorted(p.name for p in student.glob("*.zip")) == [ZIP]


def test_the_grader_skips_the_export_cell(built):
    student = nbformat.read(built["student"] / "hierarchical.ipynb", as_version=4)
    export = [c for c in student.cells if "export_submission(" in c.source]
    assert [c.metadata.get("tags") for c in export] == [["otter_ignore"]]
    # Otter's own export cell (needs pandoc for its PDF) is gone, and so is its section.
    assert not any("grader.export(" in c.source for c in student.cells)
    assert sum("## Submitting" in c.source or "## Submission" in c.source
               for c in student.cells) == 1
