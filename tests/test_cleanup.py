"""A folder the student's side wrote is removed whatever it holds, and removing it never raises."""

import os
import shutil

from poolside.grading.cleanup import remove_tree


def _deep(top, depth: int) -> None:
    """A chain of ``depth`` folders made with descriptors, past any path length limit."""
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=fd)
        child = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = child
    with open(os.open("leaf", os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=fd), "w") as leaf:
        leaf.write("x")
    os.close(fd)


def test_a_tree_twelve_thousand_folders_deep_is_removed_where_shutil_breaks(tmp_path):
    top = tmp_path / "deep"
    top.mkdir()
    _deep(top, 12_000)
    try:
        shutil.rmtree(top)
        broke = False
    except (RecursionError, OSError):
        broke = True
    assert broke  # the way the batch used to abort
    assert remove_tree(top) is None
    assert not top.exists()


def test_folders_without_permissions_and_odd_names_are_removed(tmp_path, monkeypatch):
    top = tmp_path / "odd"
    (top / "-rf" / "a\nb").mkdir(parents=True)
    (top / "-rf" / "a\nb" / "=cmd|' -C calc'!A0").write_text("x")
    (top / ("é" * 3)).mkdir()
    (top / ("x" * 255)).write_text("long")
    os.symlink("/etc/passwd", top / "link")
    os.chmod(top / "-rf" / "a\nb", 0)
    os.chmod(top / "-rf", 0)
    # Without rm (or with an rm that leaves things behind) the descriptor pass does it all.
    monkeypatch.setenv("PATH", "/nonexistent")
    assert remove_tree(top) is None
    assert not top.exists()
    assert os.path.exists("/etc/passwd")


def test_a_name_already_used_by_the_flattening_is_not_a_problem(tmp_path, monkeypatch):
    top = tmp_path / "clash"
    (top / ".poolside-flat-0" / "x").mkdir(parents=True)
    (top / "a" / "b" / "c").mkdir(parents=True)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert remove_tree(top) is None
    assert not top.exists()


def test_removing_what_is_not_there_is_fine(tmp_path):
    assert remove_tree(tmp_path / "nothing") is None
