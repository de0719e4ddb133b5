"""``poolside grade`` warms the compile cache once per autograder, not once per batch."""

from __future__ import annotations

import subprocess

import pytest

from poolside import grade


@pytest.fixture
def runs(monkeypatch):
    """The warm-up commands run, each answered with the return code ``runs.code``."""
    class Calls(list):
        code = 0

    calls = Calls()

    def run(command, **kwargs):
        calls.append(command)
        return subprocess.CompletedProcess(command, calls.code, "", "boom")

    monkeypatch.setattr(grade.subprocess, "run", run)
    return calls


def test_a_cache_warmed_for_this_autograder_is_not_warmed_again(tmp_path, runs):
    said = []
    grade.warm_cache(tmp_path, said.append, tmp_path, stamp="zip-1")
    grade.warm_cache(tmp_path, said.append, tmp_path, stamp="zip-1")
    assert len(runs) == 1 and "already warm" in said[-1]


def test_another_autograder_warms_the_cache_again(tmp_path, runs):
    grade.warm_cache(tmp_path, print, tmp_path, stamp="zip-1")
    grade.warm_cache(tmp_path, print, tmp_path, stamp="zip-2")
    assert len(runs) == 2


def test_a_failed_warm_up_is_tried_again_next_time(tmp_path, runs):
    runs.code = 1
    said = []
    grade.warm_cache(tmp_path, said.append, tmp_path, stamp="zip-1")
    grade.warm_cache(tmp_path, said.append, tmp_path, stamp="zip-1")
    assert len(runs) == 2 and "could not warm" in said[-1]


def test_the_stamp_names_the_zip_by_its_content(tmp_path):
    (tmp_path / "a.zip").write_bytes(b"one")
    (tmp_path / "b.zip").write_bytes(b"two")
    assert grade.cache_stamp(tmp_path / "a.zip") != grade.cache_stamp(tmp_path / "b.zip")


@pytest.mark.slow
def test_warming_leaves_no_files_in_the_machines_tmp(tmp_path, monkeypatch, built):
    # PyTensor keeps every compiled function's source in a temporary file (38 per warm-up).
    machine_tmp = tmp_path / "machine-tmp"
    machine_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(machine_tmp))
    files = grade.unpack(built["autograder"], tmp_path / "autograder")
    said = []
    grade.warm_cache(tmp_path / "cache", said.append, files, stamp="zip-1")
    assert "warning" not in "".join(said)
    assert list(machine_tmp.iterdir()) == []
