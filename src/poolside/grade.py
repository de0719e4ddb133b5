"""``poolside grade``: grade a class's submissions on one machine, without Docker.

Every submission is graded by the autograder zip's own runner (``poolside.grading.runner``, the
same one Gradescope's ``run_autograder`` calls) in its own process and temporary folder: the
notebook runs in a sandbox, the verdicts in the runner. A runner that overruns is killed and
recorded. Each finished submission's
record is written at once, so an interrupted batch loses nothing finished, and a rerun skips
every submission whose content and autograder are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import asdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # pandas is imported where a table is made: `poolside run` makes none
    import pandas as pd

from . import rescore, roster
from .grading.cache import environment
from .grading.evidence import FOLDER as EVIDENCE
from .grading.limits import CELL_TIMEOUT, RUNNER_MARGIN, TIMEOUT
from .grading.sandbox import choose
from .intake import Submission, assignment_name, discover, prepare
from .progress import Progress, to_stderr

__all__ = ["main", "STATUSES", "question_points", "written_points", "GRADING_ENV",
           "grading_environment", "default_cache", "warm_cache", "cache_stamp"]

#: Allocator settings for the grading processes: one malloc arena that hands freed memory
#: back to the system. Measured (benchmarks/grade_one.py) to lower the peak memory of a
#: full grading run by about 30 MB; the build writes the same into the zip's run_autograder.
GRADING_ENV = {"MALLOC_ARENA_MAX": "1", "MALLOC_TRIM_THRESHOLD_": "1000000"}



def default_cache() -> Path:
    """The compile cache shared by local batches (see :mod:`poolside.grading.cache`)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "poolside" / "compile"


def grading_environment(cache_root) -> dict[str, str]:
    """What every grading process exports: allocator settings and the compile cache."""
    return {**GRADING_ENV, **environment(cache_root)}


def cache_stamp(autograder: Path) -> str:
    """What a warm cache was warmed for: this zip, this Python, this kernel (PyTensor's
    compile folder is named after it). A cache warmed for the same stamp is not warmed again."""
    digest = hashlib.sha256(Path(autograder).read_bytes()).hexdigest()
    return f"{digest} {sys.version.split()[0]} {os.uname().release}"


_STAMP = "warmed-for.txt"


def warm_cache(cache_root: Path, echo: Callable[[str], None], files: Path,
               stamp: str | None = None) -> None:
    """Compile the reference models into ``cache_root`` once, before the workers start.

    ``files`` is the unpacked zip (:func:`unpack`). With a ``stamp`` (:func:`cache_stamp`), a
    cache already warmed for it is left as it is: warming a warm cache still costs about 10
    CPU-s. A failure here, or a stamped cache emptied since, costs time (each worker compiles
    for itself), never a grade.
    """
    marker = Path(cache_root) / _STAMP
    if stamp is not None and marker.is_file() and marker.read_text() == stamp:
        echo(f"compile cache {cache_root} already warm for this autograder\n")
        return
    echo(f"warming the compile cache in {cache_root}\n")
    command = [sys.executable, "-m", "poolside.grading.cache", "warm", str(cache_root),
               "--assignment", str(files)]
    # PyTensor keeps the source of every function it compiles in a temporary file: these go
    # with a folder of their own, not into the machine's /tmp for good.
    with tempfile.TemporaryDirectory(prefix="poolside-warm-") as tmp:
        completed = subprocess.run(command, capture_output=True, text=True, cwd=files,
                                   env={**os.environ, **grading_environment(cache_root),
                                        "TMPDIR": tmp})
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines() or ["no message"]
        echo(f"warning: could not warm the compile cache ({lines[-1][:120]}); "
             "grading goes on, each submission compiles its own models\n")
    elif stamp is not None:
        marker.write_text(stamp)


STATUSES = ("graded", "timeout", "error", "invalid", "missing")
RECORD = "results.json"


def question_points(autograder: Path) -> dict[str, float]:
    """Points per autograded question, from the registry inside the zip."""
    with zipfile.ZipFile(autograder) as zf:
        text = zf.read("files/points.json").decode()
    return {q: float(p) for q, p in json.loads(text).items()}


def written_points(autograder: Path) -> dict[str, float]:
    """Points per written (hand-graded) question, from the zip; none for an older zip."""
    with zipfile.ZipFile(autograder) as zf:
        if "files/written.json" not in zf.namelist():
            return {}
        return {q: float(p) for q, p in json.loads(zf.read("files/written.json")).items()}


def unpack(autograder: Path, target: Path) -> Path:
    """Extract the zip's ``files/`` (the runner, the checks, the references) into ``target``."""
    with zipfile.ZipFile(autograder) as zf:
        for name in zf.namelist():
            if name.startswith("files/") and not name.endswith("/"):
                path = target / name[len("files/"):]
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(zf.read(name))
    return target


def _key(submission: Submission, autograder_sha: str) -> str:
    return f"{submission.sha256}:{autograder_sha}"


def _why_it_failed(stderr: str, returncode: int) -> str:
    if returncode in (-signal.SIGKILL, 137):
        return "the grader was killed by the system (out of memory?)"
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return (lines[-1][:200] if lines else f"the grader exited with code {returncode}")


def _outcome(proc: subprocess.Popen, tmp: Path, timeout: float) -> dict:
    """Wait for a runner; return its status, reason and, when it finished, its results."""
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        return {"status": "timeout", "reason": f"still running after {timeout:g} s; stopped"}
    if proc.returncode == 0:
        outcome = read_outcome(tmp)
        if outcome is not None:
            return outcome
    return {"status": "error", "reason": _why_it_failed(stderr, proc.returncode),
            "stderr": stderr}


def read_outcome(folder: Path) -> dict | None:
    """What the runner wrote in ``folder`` (``results.json``, ``summary.json``) as the part
    of a record it decides; None when it wrote nothing."""
    results_path, summary_path = folder / "results.json", folder / "summary.json"
    if not (results_path.exists() and summary_path.exists()):
        return None
    gradescope = json.loads(results_path.read_text())
    summary = json.loads(summary_path.read_text())
    return {"status": "timeout" if summary["timed_out"] else "graded",
            "reason": "; ".join(summary["notes"]), "sandbox": summary["sandbox"],
            "gradescope": gradescope, "scores": summary["scores"],
            "checks": summary.get("checks", []), "cells": summary.get("cells", []),
            "about_run": summary.get("about_run", []), "seed": summary.get("seed")}


def grade_one(submission: Submission, files: Path, out: Path, key: str,
              expected_name: str | None, timeout: float, cell_timeout: int,
              running: dict, lock: threading.Lock, stopping: threading.Event,
              env: dict[str, str], sandbox: str, cache: Path,
              people: list[dict] | None = None) -> dict | None:
    """Grade one submission and write ``out/<name>/results.json``; return the record.

    Returns None, writing nothing, if the batch was interrupted while this one ran: a
    killed run is not a result, and the next run grades it again.
    """
    folder = out / submission.name
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    record = {"file": str(submission.path), "name": submission.name, "key": key,
              "status": "invalid", "reason": "", "scores": {}, "people": people or []}
    with tempfile.TemporaryDirectory(prefix="poolside-grade-") as tmp:
        tmp = Path(tmp)
        notebook, reason = prepare(submission, tmp, expected_name)
        if notebook is None:
            record["reason"] = reason
        else:
            command = [sys.executable, "-m", "poolside.grading.runner", str(notebook), str(tmp),
                       "--assignment", str(files), "--cache", str(cache), "--cell-timeout", str(cell_timeout),
                       "--timeout", str(timeout), "--sandbox", sandbox]
            # The runner's own temporary files (PyTensor's compiled sources among them) go
            # with this submission's folder, not into the machine's /tmp for good.
            proc = subprocess.Popen(command, cwd=files, start_new_session=True,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True, env={**env, "TMPDIR": str(tmp)},
                                    preexec_fn=_die_with_parent)
            with lock:
                running[submission.name] = proc
            if stopping.is_set():  # interrupted between start and registration
                _kill_group(proc)
            try:
                outcome = _outcome(proc, tmp, timeout + RUNNER_MARGIN)
            finally:
                with lock:
                    running.pop(submission.name, None)
            if stopping.is_set():
                return None
            if (tmp / "executed.ipynb").exists():
                shutil.copy(tmp / "executed.ipynb", folder / "executed.ipynb")
            # The reports and facts, kept so that a change of points or verdicts can be
            # judged again without running the notebook (poolside.rescore).
            shutil.rmtree(folder / EVIDENCE, ignore_errors=True)
            if (tmp / EVIDENCE).is_dir():
                shutil.copytree(tmp / EVIDENCE, folder / EVIDENCE)
            stderr = outcome.pop("stderr", None)
            if stderr:
                (folder / "grader-stderr.txt").write_text(stderr)
            record.update(outcome)
    record["seconds"] = round(time.perf_counter() - start, 1)
    _write_atomic(folder / RECORD, record)
    return record


def _die_with_parent() -> None:
    """In the runner's process, before it starts: be killed when the process that started it
    dies (a batch killed outright, a cluster worker lost mid-task), not graded on unseen."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _write_atomic(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    tmp.replace(path)


def _previous(out: Path, submission: Submission) -> dict | None:
    """The record this file's folder holds, whatever autograder made it."""
    path = out / submission.name / RECORD
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) and isinstance(record.get("key"), str) else None


def _others(out: Path, names: set[str]) -> list[dict]:
    """The records already in ``out`` for submissions not graded in this run."""
    kept = []
    for path in sorted(out.glob(f"*/{RECORD}")):
        if path.parent.name in names:
            continue
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and {"file", "status", "scores"} <= set(record):
            kept.append(record)
    return kept


def gradable(submission: Submission, expected_name: str | None) -> bool:
    """Whether ``submission`` holds a notebook of this assignment (so warming pays off)."""
    with tempfile.TemporaryDirectory(prefix="poolside-intake-") as tmp:
        try:
            return prepare(submission, Path(tmp), expected_name)[0] is not None
        except Exception:  # noqa: BLE001 - grading it will say why, in its own row
            return False


def main(paths, out: Path, autograder: Path, jobs: int | None = None, timeout: float = TIMEOUT,
         cell_timeout: int = CELL_TIMEOUT, echo: Callable[[str], None] | None = None,
         cache: Path | None = None, class_roster: Path | None = None,
         only: tuple[str, ...] = (), lms_column: str | None = None,
         scheduler: str | None = None) -> pd.DataFrame:
    """Grade every submission under ``paths`` into ``out``; return the grades table.

    Parameters
    ----------
    paths : list of path
        Files, or folders searched recursively, of ``.ipynb`` or Otter export ``.zip`` files.
    out : Path
        Output folder: ``grades.csv``, ``summary.png`` and one folder per submission.
    autograder : Path
        The built ``autograder.zip``.
    jobs : int, optional
        Submissions graded at once; the number of cores by default.
    timeout : float
        Seconds one submission may take in all before it is stopped (status ``timeout``).
    cell_timeout : int
        Seconds one notebook cell may run before it is interrupted and grading goes on.
    cache : Path, optional
        Compile cache, warmed once before the workers start; :func:`default_cache` if None.
    class_roster : Path, optional
        A roster CSV (:mod:`poolside.roster`): names each file's student, and every student
        with no file gets a row of their own (status ``missing``).
    only : tuple of str
        Glob patterns (``*.ipynb``, any case): in folders, only files whose name matches one
        are submissions. Files named on the command line are always taken.
    lms_column : str, optional
        The assignment's column in ``canvas.csv`` (as the LMS names it, e.g. ``Homework 7
        (88231)`` from a Canvas export); the assignment's name by default.
    scheduler : str, optional
        Grade on a Dask cluster (:mod:`poolside.cluster`): a scheduler's address, or
        ``"local"`` for ``jobs`` worker processes here. None: a pool of ``jobs`` threads, each
        running one grading process.
    """
    lines_to = echo  # None: a bar on a terminal, plain lines otherwise
    echo = echo or to_stderr
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    autograder = Path(autograder).resolve()
    autograder_sha = hashlib.sha256(autograder.read_bytes()).hexdigest()
    expected_name = assignment_name(autograder)
    points = question_points(autograder)
    left_out: list[Path] = []
    submissions = discover(paths, only, left_out)
    if left_out:
        echo(f"{len(left_out)} file(s) in the folders match no --only pattern: not graded\n")
    people = _identities(paths, submissions, class_roster, echo)
    records: dict[str, dict] = {}
    todo, again = [], []
    for sub in submissions:
        key = _key(sub, autograder_sha)
        previous = _previous(out, sub)
        if previous is not None and previous["key"] == key:
            records[sub.name] = {**previous, "people": people[sub.name]
                                 or previous.get("people", [])}
            if records[sub.name]["people"] != previous.get("people", []):
                # Named now (a roster given this time): kept for the runs that come after.
                _write_atomic(out / sub.name / RECORD, records[sub.name])
        elif previous is not None and rescore.possible(previous, out / sub.name, sub.sha256):
            again.append((sub, key, previous))
        else:
            todo.append((sub, key))
    if records:
        echo(f"{len(records)} submission(s) already graded with this autograder: skipped\n")
    cache = Path(cache or default_cache())
    env = {**os.environ, **grading_environment(cache)}
    scratch = Path(tempfile.mkdtemp(prefix="poolside-autograder-"))
    files = unpack(autograder, scratch)
    if again:
        done, stale = rescore.rescore(again, out, files, env, cell_timeout, timeout, echo)
        for record in done:
            record["people"] = people[record["name"]] or record.get("people", [])
            records[record["name"]] = record
            _write_atomic(out / record["name"] / RECORD, record)
        todo += stale
    box = choose()
    if any(gradable(sub, expected_name) for sub, _ in todo):
        warm_cache(cache, echo, files, cache_stamp(autograder))
        if box.kind == "none":
            echo(f"warning: {box.reason}; submissions are graded unsandboxed and each row "
                 "says so\n")
    running: dict[str, subprocess.Popen] = {}
    lock = threading.Lock()
    stopping = threading.Event()
    workers = jobs or os.cpu_count() or 1
    pool = None
    try:
        with Progress(len(submissions), done=len(records), echo=lines_to,
                      running=min(len(todo), workers)) as progress:
            if scheduler is not None:
                for record in _on_cluster(scheduler, workers, todo, out, autograder,
                                          expected_name, timeout, cell_timeout, people):
                    records[record["name"]] = record
                    progress.finished(record, 0)
            else:
                pool = ThreadPoolExecutor(max_workers=workers)
                futures = {pool.submit(grade_one, sub, files, out, key, expected_name, timeout,
                                       cell_timeout, running, lock, stopping, env, box.kind,
                                       cache, people[sub.name]): sub
                           for sub, key in todo}
                for future in as_completed(futures):
                    try:
                        record = future.result()
                    except Exception as err:  # noqa: BLE001 - one never stops the batch
                        record = _failed(futures[future], err, people)
                    if record is None:
                        continue
                    records[record["name"]] = record
                    with lock:
                        progress.finished(record, len(running))
    except KeyboardInterrupt:
        stopping.set()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        with lock:
            for proc in running.values():
                _kill_group(proc)
        echo("interrupted: finished results are kept; run the same command to resume\n")
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(scratch, ignore_errors=True)
        ordered = [records[s.name] for s in submissions if s.name in records]
        # Rows of files graded into this folder before and not named this time are kept.
        everything = sorted(ordered + _others(out, set(records)), key=lambda r: str(r["file"]))
        everything += _missing(everything, class_roster)
        table = _write_all(everything, points, out, autograder, lms_column or expected_name,
                           echo)
    echo(summary_text(table, points) + "\n")
    return table


def _failed(sub: Submission, err: BaseException, people: dict) -> dict:
    return {"file": str(sub.path), "name": sub.name, "key": "", "status": "error",
            "scores": {}, "people": people.get(sub.name, []),
            "reason": f"the batch could not grade it ({type(err).__name__}: {str(err)[:150]})"}


def _on_cluster(scheduler: str, workers: int, todo: list[tuple], out: Path, autograder: Path,
                expected: str | None, timeout: float, cell_timeout: int, people: dict):
    """Grade ``todo`` on a Dask cluster (:mod:`poolside.cluster`); write each result here,
    once, as it arrives; yield its record."""
    from . import cluster

    client = cluster.connect(scheduler, workers)
    try:
        for sub, result in cluster.submit_all(client, todo, autograder, expected, timeout,
                                              cell_timeout, people):
            if isinstance(result, BaseException):
                record = _failed(sub, result, people)
            else:
                record = result["record"]
                folder = out / sub.name
                folder.mkdir(parents=True, exist_ok=True)
                shutil.rmtree(folder / EVIDENCE, ignore_errors=True)
                for relative, data in result["files"].items():
                    target = folder / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
            _write_atomic(out / sub.name / RECORD, record)
            yield record
    finally:
        cluster.close(client)


def _identities(paths, submissions: list[Submission], class_roster: Path | None,
                echo: Callable[[str], None]) -> dict[str, list[dict]]:
    """Who each submission is from (plain dicts, as stored), from exports and the roster."""
    try:
        exports = roster.find_exports(paths)
    except ValueError as err:
        echo(f"warning: {err}; files are listed without names\n")
        exports = {}
    students, by_file = roster.read_roster(class_roster) if class_roster else ([], {})
    found = roster.identify([s.path for s in submissions], exports, students, by_file)
    if students:
        twice = {p.name or p.sid for i, p in enumerate(students)
                 if any(roster.same_student(p, q) for q in students[:i])}
        if twice:
            echo(f"warning: the roster names {len(twice)} student(s) twice "
                 f"({_some(twice)}): each keeps one row\n")
        strangers = {p.name or p.sid or p.email for people in found.values() for p in people
                     if not any(roster.same_student(p, q) for q in students)}
        if strangers:
            echo(f"warning: {len(strangers)} student(s) handed in but are not on the roster "
                 f"({_some(strangers)}): they have no Canvas id\n")
    return {s.name: [asdict(p) for p in found[s.path]] for s in submissions}


def _some(names, shown: int = 5) -> str:
    names = sorted(names)
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown
                                       else "")


def _missing(records: list[dict], class_roster: Path | None) -> list[dict]:
    """A row for each roster student with no file: nothing graded, and said so."""
    if not class_roster:
        return []
    seen = [roster.Person(**p) for r in records for p in r.get("people", [])]
    return [{"file": "", "status": "missing", "reason": "no file of theirs was found",
             "scores": {}, "people": [asdict(p)]}
            for p in roster.read_roster(class_roster)[0]
            if not any(roster.same_student(p, q) for q in seen)]


def _write_all(records: list[dict], points: dict[str, float], out: Path, autograder: Path,
               title: str | None, echo: Callable[[str], None]) -> pd.DataFrame:
    """The gradebook, the LMS files, a feedback page per submission and the class report."""
    # Imported here: `poolside run` grades one file with this module and needs none of them.
    from .class_report import write_report
    from .feedback_page import write_feedback
    from .gradebook import write_lms, write_table

    title = title or autograder.stem
    table = write_table(records, points, out)
    known = write_lms(records, points, out, title)
    unnamed = sum(1 for r in records if not r.get("people"))
    if unnamed and known:
        echo(f"warning: {unnamed} file(s) have no student identity and are not in canvas.csv "
             "or gradebook.csv (see the roster's 'file' column)\n")
    elif not known:
        echo("no student is known (not a Gradescope export, no --roster): canvas.csv and "
             "gradebook.csv are not written\n")
    written = written_points(autograder)
    for record in records:
        folder = out / str(record.get("name", ""))
        if record.get("name") and folder.is_dir():
            write_feedback(record, folder, points, written, title)
    if records:
        write_report(records, points, out, title)
    return table


def summary_text(table: pd.DataFrame, points: dict[str, float]) -> str:
    counts = table["status"].value_counts().reindex(STATUSES, fill_value=0)
    lines = ["status: " + ", ".join(f"{s} {n}" for s, n in counts.items())]
    graded = table[table["status"] == "graded"]
    if len(graded):
        means = ", ".join(f"{q} {graded[q].mean():.2g}/{p:g}" for q, p in points.items())
        lines.append(f"mean score per question (graded): {means}")
    return "\n".join(lines)
