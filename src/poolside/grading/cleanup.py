"""Remove a folder the student's side wrote, whatever it holds.

``shutil.rmtree`` recurses (a tree 12,000 folders deep raises ``RecursionError``), follows
paths (past ``PATH_MAX`` it fails) and gives up on folders whose permissions were taken away.
A submission can make all three, and a cleanup that raises would abort the rest of the batch.
:func:`remove_tree` never raises: it tries GNU ``rm`` (iterative, descriptor based), then a
pass that needs no recursion and no long paths: every subfolder is first moved up to the top,
so nothing is ever deeper than one level.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

__all__ = ["remove_tree"]


def remove_tree(path: str | os.PathLike) -> str | None:
    """Remove ``path`` and everything under it; return None, or why something is left."""
    path = Path(path)
    if not os.path.lexists(path):
        return None
    if path.is_symlink() or not path.is_dir():
        try:
            path.unlink()
            return None
        except OSError as err:
            return f"could not remove {path}: {err}"
    try:
        subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=600)
    except (OSError, subprocess.SubprocessError):
        pass
    if not os.path.lexists(path):
        return None
    try:
        _flatten_and_remove(path)
    except Exception as err:  # noqa: BLE001 - a cleanup must never stop a batch
        return f"could not remove {path}: {type(err).__name__}: {err}"[:300]
    return None if not os.path.lexists(path) else f"could not remove all of {path}"


def _flatten_and_remove(top: Path) -> None:
    """Empty ``top`` one folder at a time: subfolders are renamed into ``top`` before they are
    read, so no path is longer than two names and nothing recurses."""
    root = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        os.chmod(root, 0o700)
        pending = [None]  # None: top itself; else a name directly under top
        moved = 0
        while pending:
            name = pending[-1]
            fd = root if name is None else os.open(name, os.O_RDONLY | os.O_DIRECTORY
                                                   | os.O_NOFOLLOW, dir_fd=root)
            try:
                os.chmod(fd, 0o700)
                children = os.listdir(fd)
                for child in children:
                    info = os.stat(child, dir_fd=fd, follow_symlinks=False)
                    if stat.S_ISDIR(info.st_mode):
                        flat = _free_name(root, moved)
                        moved += 1
                        os.rename(child, flat, src_dir_fd=fd, dst_dir_fd=root)
                        pending.append(flat)
                    else:
                        os.unlink(child, dir_fd=fd)
            finally:
                if fd != root:
                    os.close(fd)
            if pending[-1] == name:  # nothing new below it: it is empty now
                pending.pop()
                if name is not None:
                    os.rmdir(name, dir_fd=root)
    finally:
        os.close(root)
    os.rmdir(top)


def _free_name(root: int, start: int) -> str:
    while True:
        name = f".poolside-flat-{start}"
        try:
            os.stat(name, dir_fd=root, follow_symlinks=False)
        except FileNotFoundError:
            return name
        start += 1
