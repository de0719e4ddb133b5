"""Grading on a Dask cluster, for classes one machine cannot grade in time.

One task per submission. A task runs on a worker exactly what a local batch runs for one file
(:func:`poolside.grade.grade_one`: the zip's runner, the sandbox), in the worker's own
temporary folder, and returns the record and its files as bytes: only the coordinator (the
``poolside grade`` process) writes into the output folder, once per submission, whichever
worker's attempt finished. A worker lost mid-task (killed, out of memory, its node gone) makes
the scheduler run the task again elsewhere; nothing is written for the lost attempt.

Every worker needs what a local grading needs: this environment (``bash scripts/setup.sh`` on
a shared filesystem, or the same image) and bubblewrap (or root, for the leased-uid sandbox).
Dask is the instructor's tool's alone: it is in neither the Gradescope image nor the student
environment.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Iterator

__all__ = ["connect", "submit_all", "remote_grade", "close", "LOCAL"]

#: ``--scheduler local``: a cluster of ``--jobs`` worker processes on this machine.
LOCAL = "local"
#: How often the scheduler may see a task's worker die before it gives up on the task.
ALLOWED_FAILURES = 3

_unpacked: dict[str, Path] = {}
_lock = threading.Lock()


def connect(scheduler: str, jobs: int):
    """A client of the cluster ``scheduler`` names (an address, or :data:`LOCAL`)."""
    import dask
    from distributed import Client, LocalCluster

    dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES})
    if scheduler == LOCAL:
        # One thread per worker process: a grading is one process tree using one core.
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        return Client(cluster)
    return Client(scheduler)


def _sweep() -> None:
    """Remove what workers that were killed left behind (their folders carry their pid)."""
    from .grading.cleanup import remove_tree

    for folder in Path(tempfile.gettempdir()).glob("poolside-[wt][oa][rs]k*-*-*"):
        try:
            pid = int(folder.name.split("-")[2])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
            remove_tree(folder)


def _files(autograder: bytes) -> Path:
    """The zip's ``files/`` unpacked once per worker process (keyed by the zip's hash)."""
    from .grade import unpack

    digest = hashlib.sha256(autograder).hexdigest()
    with _lock:
        if digest not in _unpacked:
            _sweep()
            folder = Path(tempfile.mkdtemp(prefix=f"poolside-worker-{os.getpid()}-"))
            atexit.register(shutil.rmtree, folder, True)
            (folder / "autograder.zip").write_bytes(autograder)
            _unpacked[digest] = unpack(folder / "autograder.zip", folder / "files")
        return _unpacked[digest]


def remote_grade(data: bytes, file: str, name: str, key: str, autograder: bytes,
                 expected: str | None, timeout: float, cell_timeout: int,
                 people: list[dict]) -> dict:
    """Grade one submission on a worker; return ``{"record": ..., "files": {path: bytes}}``."""
    from .grade import (cache_stamp, default_cache, grade_one, gradable, grading_environment,
                        warm_cache)
    from .grading.sandbox import choose
    from .intake import Submission

    files = _files(autograder)
    cache = default_cache()
    with tempfile.TemporaryDirectory(prefix=f"poolside-task-{os.getpid()}-") as tmp:
        source = Path(tmp) / "in" / Path(file).name
        source.parent.mkdir()
        source.write_bytes(data)
        submission = Submission(source, name)
        if gradable(submission, expected):
            warm_cache(cache, lambda text: None, files,
                       cache_stamp(files.parent / "autograder.zip"))
        env = {**os.environ, **grading_environment(cache)}
        out = Path(tmp) / "out"
        record = grade_one(submission, files, out, key, expected, timeout, cell_timeout, {},
                           threading.Lock(), threading.Event(), env, choose().kind, cache,
                           people)
        record["file"] = file
        made = {str(p.relative_to(out / name)): p.read_bytes()
                for p in sorted((out / name).rglob("*")) if p.is_file() and p.name != "results.json"}
    return {"record": record, "files": made}


def submit_all(client, todo: list[tuple], autograder: Path, expected: str | None,
               timeout: float, cell_timeout: int, people: dict) -> Iterator[tuple]:
    """Submit one task per ``(submission, key)``; yield ``(submission, result)`` as each
    finishes, the result being the exception when the task failed for good."""
    from distributed import as_completed

    shared = client.scatter(autograder.read_bytes(), broadcast=True)
    futures = {client.submit(remote_grade, sub.path.read_bytes(), str(sub.path), sub.name, key,
                             shared, expected, timeout, cell_timeout, people.get(sub.name, []),
                             key=f"grade-{sub.name}-{key[:12]}", pure=False): sub
               for sub, key in todo}
    for future in as_completed(futures):
        try:
            yield futures[future], future.result()
        except Exception as err:  # noqa: BLE001 - one submission never stops the batch
            yield futures[future], err


def close(client) -> None:
    """Close the client, and the cluster too when it was made here (``local``)."""
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()
