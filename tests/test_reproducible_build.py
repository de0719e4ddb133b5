"""The same inputs build the same bytes: a rebuild neither changes the zip's hash (which keys
every stored result) nor the student bundle."""

from __future__ import annotations


from poolside import build
from tests import project as paths


def test_two_builds_of_the_same_master_are_byte_identical(tmp_path):
    first = build.main(paths.ROOT, tmp_path / "first", check=False)
    second = build.main(paths.ROOT, tmp_path / "second", check=False)
    files = sorted(p.relative_to(tmp_path / "first")
                   for p in (tmp_path / "first").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "second")
                           for p in (tmp_path / "second").rglob("*") if p.is_file())
    differ = [str(f) for f in files
              if (tmp_path / "first" / f).read_bytes() != (tmp_path / "second" / f).read_bytes()]
    assert len(files) > 20 and differ == []
    assert first["autograder"].read_bytes() == second["autograder"].read_bytes()
