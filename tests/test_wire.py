"""The wall's data format: plain values cross, anything that could run code does not."""

import json
import os
import pickle

import numpy as np
import pytest

from poolside.grading.sandboxed import wire


def test_a_record_with_arrays_anywhere_crosses_unchanged(tmp_path):
    record = {"a": [1, "x", None, {"b": np.arange(3.0)}], "c": np.array(["Beyoncé", "Mia X"])}
    wire.dump(record, tmp_path, "r")
    back = wire.load(tmp_path, "r")
    assert back["a"][:3] == [1, "x", None]
    assert np.array_equal(back["a"][3]["b"], np.arange(3.0))
    assert list(back["c"]) == ["Beyoncé", "Mia X"]


class _Payload:
    def __reduce__(self):
        return (os.system, ("echo unpickled",))


def test_a_pickled_array_is_refused(tmp_path):
    np.savez(tmp_path / "r.npz", a0=np.array([_Payload()], dtype=object))
    (tmp_path / "r.json").write_text(json.dumps({"v": {"__array__": "a0"}}))
    with pytest.raises(wire.WireError):
        wire.load(tmp_path, "r")


def test_a_symlinked_record_is_refused(tmp_path):
    wire.dump({"v": 1}, tmp_path, "real")
    (tmp_path / "r.json").symlink_to(tmp_path / "real.json")
    (tmp_path / "r.npz").symlink_to(tmp_path / "real.npz")
    with pytest.raises(wire.WireError, match="no record"):
        wire.load(tmp_path, "r")


def test_deeply_nested_json_is_refused_not_a_crash(tmp_path):
    wire.dump({}, tmp_path, "r")
    (tmp_path / "r.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(wire.WireError):
        wire.load(tmp_path, "r")


def test_objects_that_are_not_plain_data_do_not_leave(tmp_path):
    with pytest.raises(wire.WireError):
        wire.dump({"v": pickle}, tmp_path, "r")


def test_a_record_nested_past_the_recursion_limit_is_refused_not_a_crash(tmp_path):
    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # Python's default (the test runner may have raised it)
    depth = 1100  # json parses it; walking it back into arrays would recurse too deep
    (tmp_path / "deep.json").write_text("[" * depth + "]" * depth)
    wire.dump({}, tmp_path, "empty")
    (tmp_path / "deep.npz").write_bytes((tmp_path / "empty.npz").read_bytes())
    try:
        with pytest.raises(wire.WireError):
            wire.load(tmp_path, "deep")
    finally:
        sys.setrecursionlimit(limit)


def test_a_record_that_unpacks_past_the_limit_is_refused_unread(tmp_path):
    import tracemalloc
    import zipfile

    wire.dump({"v": {"__array__": "a0"}}, tmp_path, "r")  # no array yet: an empty archive
    (tmp_path / "r.json").write_text(json.dumps({"v": {"__array__": "a0"}}))
    header = np.lib.format.header_data_from_array_1_0(np.zeros(0))
    header["shape"] = (wire.MAX_BYTES // 8 + 1,)
    with zipfile.ZipFile(tmp_path / "r.npz", "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("a0.npy", "w") as entry:  # 64 MB of zeros: about 64 kB on disk
            np.lib.format.write_array_header_1_0(entry, header)
            for _ in range(64):
                entry.write(bytes(2**20))
            entry.write(bytes(8))
    assert (tmp_path / "r.npz").stat().st_size < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(wire.WireError, match="too large"):
            wire.load(tmp_path, "r")
        assert tracemalloc.get_traced_memory()[1] < 16 * 2**20
    finally:
        tracemalloc.stop()
    # the grader's own files (stored evidence) are taken whatever their size
    assert wire.load(tmp_path, "r", None)["v"].shape == (wire.MAX_BYTES // 8 + 1,)


def test_a_records_structure_is_limited_apart_from_its_arrays(tmp_path):
    wire.dump({}, tmp_path, "r")
    (tmp_path / "r.json").write_text("[" + "{}," * (wire.MAX_TEXT // 3) + "{}]")
    with pytest.raises(wire.WireError, match="too large"):
        wire.load(tmp_path, "r")
