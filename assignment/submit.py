"""Export the notebook for submission: a zip for the autograder and a page of written answers.

This file ships next to the student notebook; its last cell calls :func:`export_submission`.
It needs nothing beyond the notebook's own environment (no pandoc, no LaTeX, no browser):

* ``<notebook>-submission.zip`` holds the saved notebook (and the written answers, as a
  record): it goes to the autograded Gradescope assignment.
* ``<notebook>-written-answers.html`` holds each written answer with its prompt, one answer
  per printed page: opened in any web browser and printed to PDF, it goes to the written-answers
  assignment.

Both files are written in a private temporary folder, checked, and only then moved into place,
so a failed export leaves no half-written file under a submission's name (an earlier, complete
export stays as it was).
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

__all__ = ["export_submission", "written_answers", "render_written_answers", "PLACEHOLDER"]

#: What Otter Assign puts in a written-answer cell for the student to replace.
PLACEHOLDER = "_Type your answer here, replacing this text._"
BEGIN = re.compile(r"<!--\s*BEGIN QUESTION\s*-->", re.IGNORECASE)
END = re.compile(r"<!--\s*END QUESTION\s*-->", re.IGNORECASE)
MARKER = re.compile(r"(<!--\s*(?:BEGIN|END) QUESTION\s*-->)", re.IGNORECASE)
TITLE = re.compile(r"\*\*(Exercise[^*]*?)\.?\*\*")
#: Otter's record of the checks a student ran; Otter's own export ships it too.
OTTER_LOG = ".OTTER_LOG"


def _markdown_text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def written_answers(nb) -> list[dict]:
    """The written-answer questions of a notebook, in order.

    Otter Assign brackets every manually graded question of the student notebook with
    ``<!-- BEGIN QUESTION -->`` and ``<!-- END QUESTION -->`` comments. Inside, the prompt is
    the locked cell (``editable: false``; the first cell if none is locked) and the answer is
    every other Markdown cell, so an answer typed into a new cell below the placeholder counts.

    Parameters
    ----------
    nb : dict
        A notebook as read by ``nbformat`` or ``json``.

    Returns
    -------
    list of dict
        One per question: ``title`` (e.g. "Exercise 4 (intuition)"), ``prompt`` and ``answer``
        (Markdown; placeholder cells left out), and ``answered`` (False if no answer was
        written).
    """
    questions, current = [], None
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        locked = cell.get("metadata", {}).get("editable") is False
        # Otter merges markers into neighbouring cells ("<!-- END QUESTION -->" then the next
        # prompt, or END then BEGIN), so read each cell as text between markers, in order.
        for piece in MARKER.split(_markdown_text(cell)):
            if BEGIN.fullmatch(piece):
                current = []
            elif END.fullmatch(piece):
                if current is not None:
                    questions.append(current)
                current = None
            elif current is not None and piece.strip():
                current.append((piece.strip(), locked))
    return [_split(cells, i) for i, cells in enumerate(questions, start=1)]


def _split(pieces: list[tuple[str, bool]], number: int) -> dict:
    if not any(locked for _, locked in pieces):  # an unlocked notebook: the first is the prompt
        pieces = [(text, i == 0) for i, (text, _) in enumerate(pieces)]
    prompt = "\n\n".join(text for text, locked in pieces if locked)
    answer = "\n\n".join(text for text, locked in pieces
                          if not locked and text != PLACEHOLDER).strip()
    title = TITLE.search(prompt)
    return {
        "title": title.group(1).strip() if title else f"Written answer {number}",
        "prompt": prompt,
        "answer": answer,
        "answered": bool(answer),
    }


def _to_html(markdown: str) -> str:
    try:  # mistune comes with nbconvert, which Otter needs; plain text is the fallback
        import mistune

        return mistune.html(markdown)
    except Exception:
        return f"<pre>{html.escape(markdown)}</pre>"


_STYLE = """
body { font-family: sans-serif; max-width: 46em; margin: 2em auto; line-height: 1.45; }
section { break-after: page; page-break-after: always; }
section:last-of-type { break-after: auto; page-break-after: auto; }
.prompt { color: #444; border-left: 3px solid #bbb; padding-left: 1em; }
.answer { margin-top: 1.2em; }
.missing { color: #b00000; font-weight: bold; }
@media print { .howto { display: none; } }
"""


def render_written_answers(answers: list[dict], notebook: str, saved: str) -> str:
    """A standalone HTML page: every written answer after its prompt, one per printed page.

    Parameters
    ----------
    answers : list of dict
        As returned by :func:`written_answers`.
    notebook : str
        The notebook's file name, for the heading.
    saved : str
        When the notebook was last saved, for the heading.

    Returns
    -------
    str
    """
    sections = []
    for number, q in enumerate(answers, start=1):
        answer = (_to_html(q["answer"]) if q["answered"]
                  else '<p class="missing">No answer was written.</p>')
        sections.append(
            f'<section>\n<h2>Written answer {number} of {len(answers)}: '
            f'{html.escape(q["title"])}</h2>\n<div class="prompt">{_to_html(q["prompt"])}</div>\n'
            f'<div class="answer">{answer}</div>\n</section>')
    howto = (f"<p>Written answers from <code>{html.escape(notebook)}</code>, saved {saved}. "
             "Print this page to PDF (File &gt; Print, then <em>Save as PDF</em>) and upload "
             "the PDF to the written-answers assignment on Gradescope. Each answer starts on a "
             "new page; this note is not printed.</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>Written answers: {html.escape(notebook)}</title>\n<style>{_STYLE}</style>\n"
            f"</head>\n<body>\n<div class=\"howto\">{howto}</div>\n"
            + "\n".join(sections) + "\n</body>\n</html>\n")


def _in_grading() -> bool:
    """True while Otter grades the notebook: exporting then would only litter its folder."""
    try:
        import otter

        return bool(getattr(otter.Notebook, "_grading_mode", False))
    except Exception:
        return False


def _check_zip(path: Path, notebook: Path, written: str) -> None:
    """Raise unless ``path`` is a readable zip holding exactly the saved notebook."""
    import nbformat

    with zipfile.ZipFile(path) as zf:
        if zf.testzip() is not None:
            raise RuntimeError("the zip file failed its own integrity check")
        names = zf.namelist()
        notebooks = [n for n in names if n.endswith(".ipynb")]
        if notebooks != [notebook.name] or written not in names:
            raise RuntimeError(f"the zip holds {names}, not the notebook and written answers")
        if zf.read(notebook.name) != notebook.read_bytes():
            raise RuntimeError("the notebook in the zip differs from the saved notebook")
        nbformat.validate(nbformat.reads(zf.read(notebook.name).decode("utf-8"), as_version=4))


def _show(message: str, links: list[tuple[str, str]]) -> None:
    print(message)
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display

        if get_ipython() is not None and links:
            display(HTML("<p>Download: " + " &middot; ".join(
                f'<a href="{html.escape(name)}" download="{html.escape(name)}" '
                f'target="_blank">{html.escape(label)}</a>' for name, label in links) + "</p>"))
    except Exception:  # links are a convenience; the printed paths are enough
        pass


def export_submission(notebook: str = "hierarchical.ipynb", folder: str | Path | None = None):
    """Write the submission zip and the written-answers page next to the notebook.

    Save the notebook first: the export reads the saved file, not what is on screen.

    Parameters
    ----------
    notebook : str
        The notebook's file name.
    folder : str or Path, optional
        Where the notebook is; the current folder (the notebook's, in Jupyter) by default.

    Returns
    -------
    dict or None
        ``zip`` and ``written_answers`` (paths) and ``unanswered`` (titles of written answers
        still empty); None if nothing was exported (the printed message says why).
    """
    if _in_grading():
        return None
    folder = Path(folder or os.getcwd()).resolve()
    path = folder / notebook
    stem = Path(notebook).stem
    zip_name, written_name = f"{stem}-submission.zip", f"{stem}-written-answers.html"
    if not path.is_file() or not path.read_text(encoding="utf-8").strip():
        _show(f"Could not find a saved {notebook} in {folder}. Save the notebook (File > Save) "
              "and run this cell again; if you renamed the notebook, pass its new name, e.g. "
              'export_submission("my-copy.ipynb").', [])
        return None
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=folder))
    try:
        import nbformat

        nb = nbformat.read(path, as_version=4)
        saved_at = dt.datetime.fromtimestamp(path.stat().st_mtime)
        saved = saved_at.strftime("%Y-%m-%d %H:%M")
        answers = written_answers(nb)
        (staging / written_name).write_text(render_written_answers(answers, notebook, saved),
                                            encoding="utf-8")
        with zipfile.ZipFile(staging / zip_name, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(path, arcname=path.name)
            zf.write(staging / written_name, arcname=written_name)
            if (folder / OTTER_LOG).is_file():
                zf.write(folder / OTTER_LOG, arcname=OTTER_LOG)
        _check_zip(staging / zip_name, path, written_name)
        # Same folder, same file system: each replace is atomic, so the final names only
        # ever hold complete files.
        os.replace(staging / written_name, folder / written_name)
        os.replace(staging / zip_name, folder / zip_name)
    except Exception as err:
        _show(f"The export did not finish ({type(err).__name__}: {err}). Nothing new was "
              f"written; an earlier {zip_name}, if there is one, is unchanged. Save the "
              "notebook and run this cell again; if it keeps failing, send this message to "
              "your instructor.", [])
        return None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    unanswered = [q["title"] for q in answers if not q["answered"]]
    minutes = (dt.datetime.now() - saved_at).total_seconds() / 60
    lines = [
        f"Exported the notebook as saved at {saved} ({minutes:.0f} min ago; if you changed "
        "anything since, save and run this cell again).",
        f"1. {zip_name}: upload it to the AUTOGRADED assignment on Gradescope.",
        f"2. {written_name}: open it in a web browser, print it to PDF (File > Print > Save as "
        "PDF) and upload the PDF to the WRITTEN-ANSWERS assignment on Gradescope. "
        f"It has {len(answers)} written answers, one per page.",
    ]
    if unanswered:
        lines.append(f"Not answered yet ({len(unanswered)}): " + "; ".join(unanswered) + ".")
    _show("\n".join(lines), [(zip_name, zip_name), (written_name, written_name)])
    return {"zip": folder / zip_name, "written_answers": folder / written_name,
            "unanswered": unanswered}
