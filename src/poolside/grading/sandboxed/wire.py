"""Plain data across the sandbox wall: JSON for structure, ``.npz`` for arrays.

A record is any nesting of dicts (string keys), lists, strings, numbers, booleans and None,
with numpy arrays anywhere. Arrays travel in an ``.npz`` read with ``allow_pickle=False`` and
must hold numbers, booleans or text, so reading a record never runs code or builds an object
the writer chose. Both files are written under a temporary name and renamed, so a record is
complete or absent.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import tempfile
import zipfile
import sys
from pathlib import Path

__all__ = ["dump", "load", "read", "decode", "roundtrip", "digest", "digest_of", "fingerprint",
           "unpacked_size", "parse_notebook", "WireError", "MAX_BYTES"]

#: How a report's fingerprint starts on the executor's output (execute.py, runner.py).
DIGEST = "poolside-report-digest"
#: How the fingerprint of one of the run's own files (its report, the executed notebook)
#: starts: the executor writes them more than once, and the last one counts.
RUN_DIGEST = "poolside-run-digest"
#: Largest record accepted from the student side, its arrays counted as they unpack (a
#: hierarchical posterior is about 8 MB): what the student's side packs, it can make compress
#: a thousandfold.
MAX_BYTES = 64 * 1024 * 1024
#: Largest structure (the JSON part) of a record: the project's largest is about 20 kB, and
#: a record of many small objects costs the reader far more memory than its bytes.
MAX_TEXT = 4 * 1024 * 1024
#: Most arrays in one record (a plot of 24,000 segments has one per segment).
MAX_ARRAYS = 100_000
_ARRAY = "__array__"
_KINDS = "biufU"  # bool, int, uint, float, unicode: nothing that needs pickle


class WireError(ValueError):
    """A record is missing, too large or not plain data."""


def _numpy():
    # Imported when a record has arrays: the executor, which handles only plain records,
    # then holds no numpy (20 MB) beside the student's kernel.
    import numpy

    return numpy


def _split(value, arrays: dict):
    np = sys.modules.get("numpy")  # not imported: nothing can be an array
    if np is not None and isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.kind not in _KINDS:
            array = array.astype(float) if array.dtype.kind == "O" else array.astype(str)
        key = f"a{len(arrays)}"
        arrays[key] = array
        return {_ARRAY: key}
    if isinstance(value, dict):
        return {str(k): _split(v, arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_split(v, arrays) for v in value]
    if value is None or type(value) in (bool, int, float, str):
        return value
    raise WireError(f"not plain data: {type(value).__name__}")


def _join(value, arrays):
    if isinstance(value, dict):
        if set(value) == {_ARRAY}:
            key = value[_ARRAY]
            if key not in arrays:
                raise WireError(f"array {key!r} is missing")
            return arrays[key]
        return {k: _join(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_join(v, arrays) for v in value]
    return value


def _encode(record) -> tuple[bytes, bytes]:
    arrays: dict = {}
    text = json.dumps(_split(record, arrays), allow_nan=True).encode()
    buffer = io.BytesIO()
    if arrays:
        _numpy().savez(buffer, **arrays)
    else:  # what numpy.savez writes for no arrays: an empty zip
        zipfile.ZipFile(buffer, "w").close()
    return text, buffer.getvalue()


def unpacked_size(text: bytes, packed: bytes) -> int:
    """Bytes a record takes once read: its structure and its arrays as they unpack (as the
    archive declares them; reading never unpacks past that)."""
    try:
        with zipfile.ZipFile(io.BytesIO(packed)) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise WireError("unreadable record: BadZipFile") from None
    if len(members) > MAX_ARRAYS:
        raise WireError("record has too many arrays")
    return len(text) + sum(m.file_size for m in members)


def _decode(text: bytes, packed: bytes, limit: int | None = MAX_BYTES):
    if limit is not None and (len(text) > MAX_TEXT or unpacked_size(text, packed) > limit):
        raise WireError("record too large")
    try:
        structure = json.loads(text)
        with zipfile.ZipFile(io.BytesIO(packed)) as zf:
            empty = not zf.namelist()
        arrays = {}
        if not empty:
            with _numpy().load(io.BytesIO(packed), allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in npz.files}
    except (ValueError, zipfile.BadZipFile, OSError, EOFError, RecursionError) as err:
        raise WireError(f"unreadable record: {type(err).__name__}") from None
    for key, array in arrays.items():
        if array.dtype.kind not in _KINDS:
            raise WireError(f"array {key!r} holds {array.dtype}, not plain values")
    try:
        return _join(structure, arrays)
    except RecursionError:  # nested deeper than any record this project writes
        raise WireError("unreadable record: nested too deep") from None


#: Most of each kind of JSON token a submitted notebook may hold: opening brackets (objects and
#: lists), commas (elements) and quotes (strings). An honest notebook has a few thousand of
#: each; 50 MB of ``{},`` would make 16 million objects, 8 GB for the reader.
NOTEBOOK_TOKENS = {b"{": 200_000, b"[": 200_000, b",": 2_000_000, b'"': 4_000_000}


def parse_notebook(data: bytes):
    """A submitted notebook's JSON, parsed only if it holds no more objects, lists, elements
    and strings than :data:`NOTEBOOK_TOKENS` allows (counting them is fast; parsing and
    validating millions of them is not). ValueError otherwise, or if it is not JSON."""
    for token, most in NOTEBOOK_TOKENS.items():
        if data.count(token) > most:
            raise ValueError(f"more than {most:,} {token.decode()!r} (far more structure than "
                             "a notebook has)")
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ValueError("the notebook is nested too deep") from None


def write_new(folder: Path, name: str, data: bytes) -> None:
    """Write ``folder/name`` through a temporary file of a fresh name (created exclusively,
    so that nothing another process put in the folder, a FIFO or a link, is written through),
    then renamed into place."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, Path(folder) / name)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_regular(path: str | Path, limit: int | None = MAX_BYTES) -> bytes:
    """The bytes of ``path`` if it is a regular file (not a link, FIFO or device) of at most
    ``limit`` bytes (None: any size); OSError otherwise. Opened without blocking or following
    links, checked on the open file, so it cannot be swapped between the check and the read."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (limit is not None and info.st_size > limit):
            raise OSError(f"{path} is not a regular file of at most {limit} bytes")
        # as many bytes as it has (reading ``limit`` would take that much memory first)
        data = file.read(info.st_size + 1)
    if len(data) > info.st_size:
        raise OSError(f"{path} grew while it was read")
    return data


def dump(record, folder: str | Path, name: str) -> str:
    """Write ``record`` as ``folder/name.json`` and ``folder/name.npz``; return the files'
    fingerprint (:func:`digest_of`)."""
    folder = Path(folder)
    text, packed = _encode(record)
    for suffix, data in ((".npz", packed), (".json", text)):  # the .json last: it marks done
        write_new(folder, f"{name}{suffix}", data)
    return digest_of((text, packed))


def read(folder: str | Path, name: str, limit: int | None = MAX_BYTES) -> tuple[bytes, bytes]:
    """The two files of record ``name`` as they are on disk (:func:`read_regular`), each of
    at most ``limit`` bytes (None: a record this side wrote itself, taken whatever its size)."""
    try:
        return tuple(read_regular(Path(folder) / f"{name}{suffix}", limit)
                     for suffix in (".json", ".npz"))
    except OSError:
        raise WireError(f"no record {name!r} of at most {limit} bytes") from None


def load(folder: str | Path, name: str, limit: int | None = MAX_BYTES):
    """Read a record :func:`dump` wrote; :class:`WireError` if it is absent, not plain or
    larger than ``limit`` once read (None: a record the reader wrote itself)."""
    return _decode(*read(folder, name, limit), limit)


def decode(files: tuple[bytes, bytes]):
    """A record from the bytes :func:`read` gave, within :data:`MAX_BYTES`."""
    return _decode(*files)


def roundtrip(record):
    """``record`` as the other side of the wall would read it (for in-process checks)."""
    return _decode(*_encode(record))


def digest(folder: str | Path, name: str) -> str:
    """A fingerprint of the record ``name`` as it is on disk now ("absent" if it is not)."""
    try:
        return digest_of(read(folder, name))
    except WireError:
        return "absent"


def digest_of(files: tuple[bytes, ...]) -> str:
    """The fingerprint of a record's files (:func:`read`), or of one file's bytes alone."""
    return hashlib.sha256(b"\0".join(files)).hexdigest()


def fingerprint(record) -> str:
    """A fingerprint of a record's content (not of its files: ``.npz`` files carry the time
    they were written)."""
    arrays: dict = {}
    text = json.dumps(_split(record, arrays), allow_nan=True, sort_keys=True).encode()
    hasher = hashlib.sha256(text)
    for key in sorted(arrays):
        array = _numpy().ascontiguousarray(arrays[key])
        hasher.update(f"{key} {array.dtype.str} {array.shape}".encode())
        hasher.update(array.tobytes())
    return hasher.hexdigest()
