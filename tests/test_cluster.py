"""Grading on a Dask cluster: the same records as the local pool, written once by the
coordinator, and a worker killed mid-task costs a retry, never a submission."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time

import pytest

from poolside import grade
from poolside.gradebook import read_grades

pytestmark = pytest.mark.slow


def _class(built, tmp_path, names):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in names:
        shutil.copy(built["examples"] / "untouched.ipynb", subs / name)
    shutil.copy(built["examples"] / "notes.txt", subs / "notes.txt")
    return subs


def test_a_local_cluster_grades_as_the_pool_does(built, tmp_path):
    subs = _class(built, tmp_path, ["ana.ipynb"])
    table = grade.main([subs], tmp_path / "out", built["autograder"], jobs=2, timeout=600,
                       cell_timeout=60, echo=lambda text: None, scheduler="local")
    rows = {r["file"].split("/")[-1]: r for r in table.to_dict("records")}
    assert rows["ana.ipynb"]["status"] == "graded" and rows["ana.ipynb"]["total"] == 0
    assert rows["notes.txt"]["status"] == "invalid"
    (folder,) = (tmp_path / "out").glob("*_ana.ipynb-*")
    assert (folder / "executed.ipynb").is_file() and (folder / "feedback.html").is_file()
    assert (folder / "evidence" / "facts.json").is_file()  # rescoring works after a cluster run
    assert json.loads((folder / "results.json").read_text())["file"] == str(subs / "ana.ipynb")


def test_a_worker_killed_mid_task_costs_a_retry_not_a_submission(built, tmp_path):
    from distributed import Client, LocalCluster

    subs = _class(built, tmp_path, ["ben.ipynb", "cy.ipynb"])
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    watcher = Client(cluster)
    killed = []

    def kill_one_busy_worker():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            busy = [w for w, keys in watcher.processing().items()
                    if any(str(k).startswith("grade-") for k in keys)]
            if busy:
                time.sleep(3)  # well into its grading
                pid = watcher.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.2)

    thread = threading.Thread(target=kill_one_busy_worker)
    thread.start()
    try:
        table = grade.main([subs], tmp_path / "out", built["autograder"], jobs=2, timeout=600,
                           cell_timeout=60, echo=lambda text: None,
                           scheduler=cluster.scheduler_address)
    finally:
        thread.join()
        watcher.close()
        cluster.close()
    assert killed, "no worker was busy grading"
    assert sorted(f.split("/")[-1] for f in table["file"]) == ["ben.ipynb", "cy.ipynb",
                                                               "notes.txt"]
    graded = table[table["file"].str.endswith(".ipynb")]
    assert (graded["status"] == "graded").all() and (graded["total"] == 0).all()
    on_disk = read_grades(tmp_path / "out" / "grades.csv")
    assert len(on_disk) == 3  # each once
