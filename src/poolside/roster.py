"""Who handed in what: identities from a Gradescope export and from a class roster.

A Gradescope export is a folder of ``submission_<id>/`` folders and a
``submission_metadata.yml`` naming each folder's submitters (name, student id, email; several
for a group). A roster is a CSV with one row per student: a Canvas gradebook export works as
it is (``Student, ID, SIS User ID, SIS Login ID, Section``), as does any table with columns
such as ``student_id``, ``name`` and ``email`` (an optional ``file`` column names each
student's file). Files outside an export are matched to the roster by that column, or by
their own or their folder's name being a student's id, email or the email's local part.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

__all__ = ["Person", "read_export", "read_roster", "find_exports", "identify", "same_student",
           "EXPORT_METADATA"]

EXPORT_METADATA = "submission_metadata.yml"


@dataclass(frozen=True)
class Person:
    """One student, as far as they are known (any field may be blank)."""

    sid: str = ""
    name: str = ""
    email: str = ""
    login: str = ""  # Canvas's SIS Login ID, when the roster is a Canvas export
    canvas_id: str = ""
    section: str = ""

    @property
    def keys(self) -> set[str]:
        """What a file or folder may be named after, lower case."""
        local = self.email.split("@")[0] if "@" in self.email else ""
        return {k.lower() for k in (self.sid, self.email, local, self.login) if len(k) >= 3}


class _Loader(yaml.SafeLoader):
    """Safe YAML that reads the Ruby tags Gradescope's export may carry as plain values."""


def _untagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


_Loader.add_multi_constructor("!", _untagged)


def _field(entry: dict, name: str) -> str:
    value = entry.get(f":{name}", entry.get(name, ""))
    return "" if value is None else str(value).strip()


def read_export(metadata: Path) -> dict[Path, list[Person]]:
    """Each submission folder of a Gradescope export (resolved path) and its submitters.

    Raises
    ------
    ValueError
        When the file is not the YAML mapping Gradescope writes.
    """
    try:
        data = yaml.load(Path(metadata).read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as err:
        raise ValueError(f"{metadata}: not readable as Gradescope's metadata "
                         f"({type(err).__name__})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{metadata}: expected one entry per submission folder")
    root = Path(metadata).resolve().parent
    found = {}
    for folder, entry in data.items():
        if not isinstance(entry, dict):
            continue
        submitters = entry.get(":submitters", entry.get("submitters")) or []
        people = [Person(sid=_field(s, "sid"), name=_field(s, "name"), email=_field(s, "email"))
                  for s in submitters if isinstance(s, dict)]
        found[root / str(folder)] = people
    return found


_COLUMNS = {
    "sid": ("sis user id", "student_id", "student id", "sid", "id", "student number"),
    "name": ("student", "name", "student name", "full name"),
    "email": ("email", "e-mail", "email address"),
    "login": ("sis login id", "login"),
    "section": ("section",),
}


def _text(path: Path) -> str:
    """A roster's text: UTF-8 (with or without Excel's BOM), else Windows' Latin encoding,
    as Excel saves a CSV."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _dialect(path: Path):
    """Commas, or the semicolons or tabs a spreadsheet in some locales writes."""
    head = _text(path)[:4096]
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def read_roster(path: Path) -> tuple[list[Person], dict[str, Person]]:
    """The students of a roster CSV, and those its ``file`` column names (by file name).

    Raises
    ------
    ValueError
        When no column says who a row is (an id, a name or an email).
    """
    rows = list(csv.DictReader(io.StringIO(_text(path)), dialect=_dialect(path)))
    headers = {h.strip().lower(): h for h in (rows[0].keys() if rows else [])}
    canvas = "sis user id" in headers

    def pick(row, field):
        names = _COLUMNS[field]
        if canvas and field == "sid":
            names = ("sis user id",)
        for name in names:
            if name in headers and (row.get(headers[name]) or "").strip():
                return row[headers[name]].strip()
        return ""

    if not any(n in headers for names in _COLUMNS.values() for n in names) \
            and not {"first name", "last name"} <= set(headers):
        raise ValueError(f"{path}: no column says who each row is; name one 'student_id', "
                         "'name' or 'email'")
    people, by_file = [], {}
    for row in rows:
        name = pick(row, "name")
        if not name and {"first name", "last name"} <= set(headers):
            name = f"{row[headers['first name']].strip()} {row[headers['last name']].strip()}"
        person = Person(sid=pick(row, "sid"), name=name.strip(), email=pick(row, "email"),
                        login=pick(row, "login"), section=pick(row, "section"),
                        canvas_id=(row.get(headers["id"], "") or "").strip() if canvas
                        and "id" in headers else "")
        if not (person.sid or person.name or person.email):
            continue
        if "points possible" in person.name.lower():  # a Canvas export's second row
            continue
        if person.name.lower() == "student, test":  # Canvas's test student
            continue
        people.append(person)
        if "file" in headers and (row.get(headers["file"]) or "").strip():
            by_file[Path(row[headers["file"]].strip()).name] = person
    return people, by_file


def same_student(a: Person, b: Person) -> bool:
    """Whether two records name one student: the same student id, email, Canvas id, or a
    login that is the other's login or email's local part."""
    def local(p: Person) -> str:
        return p.email.split("@")[0].lower() if "@" in p.email else ""

    return bool((a.sid and a.sid == b.sid)
                or (a.email and a.email.lower() == b.email.lower())
                or (a.canvas_id and a.canvas_id == b.canvas_id)
                or (a.login and a.login.lower() in {b.login.lower(), local(b)})
                or (b.login and b.login.lower() == local(a)))


def _merged(known: Person, roster: list[Person]) -> Person:
    """The roster's record of the student ``known`` (from an export) names, with what only
    the export knows (an email, say) filled in; ``known`` itself when the roster lacks them."""
    for person in roster:
        if same_student(known, person):
            return replace(person, **{k: v for k, v in vars(known).items()
                                      if v and not getattr(person, k)})
    return known


def _tokens(path: Path) -> set[str]:
    words = {path.stem.lower(), path.parent.name.lower()}
    for word in list(words):
        words.update(t for t in re.split(r"[_\s.]+", word) if t)
    return words


def identify(files: list[Path], exports: dict[Path, list[Person]],
             roster: list[Person] = (), by_file: dict[str, Person] | None = None
             ) -> dict[Path, list[Person]]:
    """The people each file belongs to (an empty list when nobody is known).

    A file inside an export's submission folder belongs to its submitters; otherwise to the
    roster row whose ``file`` is its name, or to the one roster student whose id, email or
    email's local part is the file's or its folder's name (or a word of it). A name that
    fits two students fits neither.
    """
    by_file = by_file or {}
    found = {}
    for file in files:
        resolved = Path(file).resolve()
        people = next((p for folder, p in exports.items() if folder in resolved.parents), None)
        if people is not None:
            found[file] = [_merged(p, list(roster)) for p in people]
        elif resolved.name in by_file:
            found[file] = [by_file[resolved.name]]
        else:
            words = _tokens(resolved)
            matches = [p for p in roster if p.keys & words]
            found[file] = matches if len(matches) == 1 else []
    return found


def find_exports(paths) -> dict[Path, list[Person]]:
    """Every Gradescope export under ``paths`` (folders holding ``submission_metadata.yml``)."""
    exports = {}
    for path in map(Path, paths):
        if path.is_dir():
            for metadata in sorted(path.rglob(EXPORT_METADATA)):
                exports.update(read_export(metadata))
    return exports
