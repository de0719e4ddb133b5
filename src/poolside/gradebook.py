"""The gradebook files a batch writes: ``grades.csv`` and what an LMS imports.

``grades.csv`` has one row per file graded (and one per roster student with no file), after a
first row of the points possible: who it is (student id, name, email, where known), the file,
one column per question, the total, the status and why, and where its feedback page is. A cell is blank where nothing was
graded (an invalid upload, a grader error, a missing submission), never a zero that would
read as a score. ``canvas.csv`` is Canvas's gradebook import; ``gradebook.csv`` the same
totals for any other LMS: one row per student, the best graded file counting.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .roster import Person, same_student

__all__ = ["write_table", "write_lms", "read_grades", "POINTS_ROW", "IDENTITY"]

#: The first row's name: Canvas's own label for the row of points possible.
POINTS_ROW = "Points Possible"
IDENTITY = ["student_id", "name", "email"]


def _cell(text) -> str:
    """Text safe in a spreadsheet: a leading ``= + - @`` (or tab, CR) would start a formula.
    A plain signed number (a student id such as ``-12345``) is left as it is: it computes
    nothing, and a quote would stop an LMS from matching it."""
    text = str(text)
    if re.fullmatch(r"[-+]?\d+(\.\d+)?", text):
        return text
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _capped(score, possible: float) -> float:
    try:
        value = float(score)
    except (TypeError, ValueError):
        return 0.0
    return min(max(value, 0.0), possible) if value == value else 0.0


def _graded(record: dict) -> bool:
    """Whether the record holds scores: graded, or stopped after the checks had run."""
    return record.get("status") in ("graded", "timeout") and bool(record.get("scores"))


def _people(record: dict) -> list[Person]:
    return [Person(**p) for p in record.get("people", []) if isinstance(p, dict)]


def _joined(people: list[Person], field: str) -> str:
    return "; ".join(getattr(p, field) for p in people if getattr(p, field))


def write_table(records: list[dict], points: dict[str, float], out: Path) -> pd.DataFrame:
    """Write ``grades.csv``; return its rows without the points row.

    Every score is capped at its question's points, and text that a spreadsheet would read
    as a formula is quoted."""
    possible = sum(points.values())
    rows = []
    for r in records:
        people = _people(r)
        row = {"student_id": _cell(_joined(people, "sid")), "name": _cell(_joined(people, "name")),
               "email": _cell(_joined(people, "email")), "file": _cell(r.get("file", ""))}
        if _graded(r):
            row.update({q: _capped(r["scores"].get(q, 0.0), p) for q, p in points.items()})
            total = sum(row[q] for q in points)
            row.update(total=total, percent=round(100 * total / possible, 2) if possible else 0.0)
        row.update(status=r["status"], reason=_cell(r.get("reason", "")),
                   seconds=r.get("seconds", ""),
                   feedback=f"{r['name']}/feedback.html" if r.get("name") else "")
        rows.append(row)
    columns = [*IDENTITY, "file", *points, "total", "percent", "status", "reason", "seconds",
               "feedback"]
    table = pd.DataFrame(rows, columns=columns)
    head = pd.DataFrame([{"name": POINTS_ROW, **points, "total": possible, "percent": 100.0}],
                        columns=columns)
    pd.concat([head, table], ignore_index=True).to_csv(out / "grades.csv", index=False)
    return table


def read_grades(path: Path) -> pd.DataFrame:
    """``grades.csv`` as written by :func:`write_table`, without its points row."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table = table[table["name"] != POINTS_ROW].reset_index(drop=True)
    for column in table.columns:
        if column not in (*IDENTITY, "file", "status", "reason", "feedback"):
            table[column] = pd.to_numeric(table[column], errors="coerce")  # blank: NaN
    return table


def _best(records: list[dict], points: dict[str, float]) -> list[tuple[Person, dict, bool]]:
    """Each known student once (two records naming one student by id, email or login are
    one), with their best graded record (or, when none was graded, one that says why) and
    whether it was graded."""
    best: list[list] = []  # [person, record]
    for r in records:
        for person in _people(r):
            entry = next((e for e in best if same_student(e[0], person)), None)
            if entry is None:
                best.append([person, r])
                continue
            current = entry[1]
            if _graded(r) and (not _graded(current)
                               or _total(r, points) > _total(current, points)):
                entry[1] = r
    return sorted(((p, r, _graded(r)) for p, r in best),
                  key=lambda item: (item[0].name, item[0].sid, item[0].email))


def _total(record: dict, points: dict[str, float]) -> float:
    return sum(_capped(record["scores"].get(q, 0.0), p) for q, p in points.items())


def write_lms(records: list[dict], points: dict[str, float], out: Path, assignment: str
              ) -> int:
    """Write ``canvas.csv`` and ``gradebook.csv`` for the students known; return how many
    (none known: nothing is written, and files from an earlier run are left as they are).

    A student whose files were all ungradable gets a blank score, not a zero: an LMS then
    shows the grade as missing, which is what it is.
    """
    possible = sum(points.values())
    best = _best(records, points)
    if not best:
        return 0
    canvas, plain = [], []
    for person, record, graded in best:
        score = round(_total(record, points), 2) if graded else ""
        canvas.append({"Student": _cell(person.name), "ID": person.canvas_id,
                       "SIS User ID": _cell(person.sid),
                       "SIS Login ID": _cell(person.login or person.email),
                       "Section": _cell(person.section), assignment: score})
        plain.append({"student_id": _cell(person.sid), "name": _cell(person.name),
                      "email": _cell(person.email), "score": score, "points_possible": possible,
                      "percent": round(100 * score / possible, 2) if graded and possible else "",
                      "status": record["status"]})
    head = {"Student": POINTS_ROW, "ID": "", "SIS User ID": "", "SIS Login ID": "",
            "Section": "", assignment: possible}
    # With a BOM: Excel, where these files are often looked at first, reads them as UTF-8.
    pd.DataFrame([head, *canvas], columns=list(head)).to_csv(
        out / "canvas.csv", index=False, encoding="utf-8-sig")
    pd.DataFrame(plain, columns=["student_id", "name", "email", "score", "points_possible",
                                 "percent", "status"]).to_csv(
        out / "gradebook.csv", index=False, encoding="utf-8-sig")
    return len(best)
