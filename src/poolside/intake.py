"""Find submissions and turn each into a gradable notebook, or a one-line reason it is not."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .grading.limits import MAX_NOTEBOOK
from .grading.sandboxed import wire
from .roster import EXPORT_METADATA

__all__ = ["Submission", "discover", "folder_name", "prepare", "assignment_name"]


@dataclass
class Submission:
    """One file handed in, named uniquely within the batch."""

    path: Path
    name: str  # folder name under the output directory

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def _files(path: Path):
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            parts = child.relative_to(path).parts
            if child.is_file() and not any(p.startswith(".") or p == "__MACOSX" for p in parts):
                yield child
    elif path.exists():
        yield path
    else:
        raise FileNotFoundError(f"no such file or folder: {path}")


#: Characters of a file's name kept in its folder's name (the rest is its path's hash).
NAME_CHARS = 80


#: Files a Gradescope export holds besides the submissions (read for identities, not graded).
NOT_SUBMISSIONS = {EXPORT_METADATA}


def folder_name(path: Path) -> str:
    """The folder a file's results go to: its folder's and its own name made safe (a
    Gradescope export names each submission's folder, every notebook the same), then a hash of
    its absolute path. The same file always gets the same folder, whatever else is graded with
    it or in what order, and two files never share one (two ``x.ipynb`` in different folders,
    or a file that happens to be called ``x.ipynb-2``)."""
    resolved = str(Path(path).resolve())
    label = f"{Path(resolved).parent.name}_{Path(path).name}"
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", label)[-NAME_CHARS:].lstrip(".-") or "_"
    return f"{stem}-{hashlib.sha256(resolved.encode('utf-8', 'surrogateescape')).hexdigest()[:10]}"


def discover(paths, only=(), skipped: list | None = None) -> list[Submission]:
    """Every file under ``paths`` (files, or folders searched recursively), each once.

    In folders, a Gradescope export's metadata is not a submission, and with ``only`` (glob
    patterns such as ``*.ipynb``) neither is a file whose name matches none of them; a file
    named in ``paths`` itself is always one. Patterns match in any case; files they leave
    out are added to ``skipped`` when it is given."""
    found, seen = [], set()
    for path in paths:
        for file in _files(Path(path)):
            if Path(path).is_dir() and file.name in NOT_SUBMISSIONS:
                continue
            if Path(path).is_dir() and only and not any(
                    fnmatch.fnmatchcase(file.name.lower(), pattern.lower()) for pattern in only):
                if skipped is not None:
                    skipped.append(file)
                continue
            name = folder_name(file)
            if name not in seen:
                seen.add(name)
                found.append(Submission(file, name))
    return found


def assignment_name(autograder: Path) -> str | None:
    with zipfile.ZipFile(autograder) as zf:
        if "otter_config.json" not in zf.namelist():
            return None
        return json.loads(zf.read("otter_config.json")).get("assignment_name")




def _too_big(size: int, label: str = "the notebook") -> str:
    return (f"{label} is {size / 1024**2:.0f} MB, more than the {MAX_NOTEBOOK // 1024**2} MB "
            "a notebook may be: clear large outputs and export again")


def _check_notebook(data: bytes, expected_name: str | None, label: str) -> str | None:
    """None if ``data`` is a gradable notebook, else why not."""
    if not data.strip():
        return f"{label} is empty"
    try:
        raw = wire.parse_notebook(data)
    except ValueError as err:  # UnicodeDecodeError and JSONDecodeError among them
        return f"{label} is not valid notebook JSON ({type(err).__name__}: {str(err)[:80]})"
    try:
        nb = nbformat.from_dict(raw)
        nbformat.validate(nb)
    except Exception as err:  # nbformat raises several unrelated types
        first = (str(err).splitlines() or [type(err).__name__])[0]
        return f"{label} is JSON but not a valid notebook ({first[:80]})"
    if not nb.get("cells"):
        return f"{label} has no cells"
    got = nb.get("metadata", {}).get("otter", {}).get("assignment_name")
    if expected_name and got != expected_name:
        return f"{label} belongs to assignment {got!r}, not {expected_name!r}"
    return None


def prepare(submission: Submission, workdir: Path, expected_name: str | None):
    """Write the notebook to grade into ``workdir``.

    Returns ``(notebook_path, None)`` or ``(None, reason)`` for an invalid submission.
    """
    path = submission.path
    suffix = path.suffix.lower()
    if suffix == ".ipynb":
        if path.stat().st_size > MAX_NOTEBOOK:
            return None, _too_big(path.stat().st_size)
        data = path.read_bytes()
        reason = _check_notebook(data, expected_name, "the notebook")
        target = workdir / path.name
    elif suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                notebooks = [n for n in zf.namelist() if n.endswith(".ipynb")
                             and not n.startswith("__MACOSX") and ".ipynb_checkpoints" not in n]
                if len(notebooks) != 1:
                    return None, f"the zip holds {len(notebooks)} notebooks; expected exactly 1"
                # The size a zip entry declares bounds what reading it yields (zipfile stops
                # there and checks the CRC), so nothing larger is ever inflated.
                declared = zf.getinfo(notebooks[0]).file_size
                if declared > MAX_NOTEBOOK:
                    return None, _too_big(declared, "the notebook in the zip")
                # A header can understate the size (zipfile checks it only at the end of the
                # entry): read no more than the cap, whatever it says.
                with zf.open(notebooks[0]) as entry:
                    data = entry.read(MAX_NOTEBOOK + 1)
                if len(data) > MAX_NOTEBOOK:
                    return None, _too_big(len(data), "the notebook in the zip")
                target = workdir / Path(notebooks[0]).name
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError,
                EOFError, ValueError) as err:
            return None, f"the .zip file is not a readable zip archive ({type(err).__name__})"
        reason = _check_notebook(data, expected_name, "the notebook in the zip")
    else:
        return None, f"not a notebook (.ipynb) or an Otter export (.zip): {path.name}"
    if reason:
        return None, reason
    target.write_bytes(data)
    return target, None
