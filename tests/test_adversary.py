"""Forgery earns nothing: hostile submissions graded locally and on the Gradescope emulation.

Each forgery (tests/adversary.py) is built from the bundle's own notebooks. Locally they are
graded in one batch with the honest examples' machinery; on the emulation each runs through
the zip's own ``run_autograder``; a few are graded again on the ``user`` path (Gradescope's:
root without namespaces). Every one must score exactly what its honest part earns, leave no
process behind, leak nothing hidden, change no result after grading ends and change nothing
of the machine (the kernel's settings, the interpreter) that a later grading would use.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from poolside.grading.sandbox import SLOTS, UID_BASE, choose
from poolside.grading.runner import question_scores
from tests.project import results_folder
from poolside import grade, gradescope

from .adversary import (FORGERIES, GRADED_APART, GRADER_MODULES, HIDDEN_SNIPPETS, KERNEL_FILES,
                        MARKER, NOT_ON_GRADESCOPE, PWNED, STARVE_CELL_TIMEOUT, STATUS,
                        ZEROING_PTH, write_forgeries)

pytestmark = pytest.mark.slow

#: Short limits keep the hanging forgery cheap; an honest cell needs a few seconds.
CELL_TIMEOUT = 30
#: The batch of everything but what is graded apart.
IN_BATCH = sorted(set(FORGERIES) - GRADED_APART)
ON_GRADESCOPE = sorted(set(FORGERIES) - set(NOT_ON_GRADESCOPE))
#: Graded again on the ``user`` path: those that go for the machine, the grader or the network.
ON_USER_PATH = ["remount-interpreter.ipynb", "write-proc-sys.ipynb", "fill-the-disk.ipynb",
                "detached-rewriter.ipynb", "kill-the-grader.ipynb", "network.ipynb",
                "read-hidden-material.ipynb"]
#: The time limit of the batch graded apart: its cells must stop by 120 s (the runner keeps
#: PROBE_RESERVE for the probes, and at least half), so it costs about two minutes, not ten.
APART_TIMEOUT = 240
LEASED = range(UID_BASE, UID_BASE + SLOTS)


def _assert_scores(row, points: dict, name: str) -> None:
    if row["status"] == "invalid":  # nothing graded: blank cells, not a score of zero
        assert all(row[q] != row[q] for q in points), row
    else:
        assert {q: row[q] for q in points} == _expected(points, FORGERIES[name][2]), row["reason"]


def _expected(points: dict, expected) -> dict:
    if expected == "all zero":
        return {q: 0.0 for q in points}
    return {q: float(expected.get(q, p)) for q, p in points.items()}


def _leftovers() -> list[str]:
    found = subprocess.run(["pgrep", "-af", MARKER], capture_output=True, text=True).stdout
    return [line for line in found.splitlines() if "pgrep" not in line]


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _world() -> dict:
    """What no grading may change: the kernel settings a forgery goes for (those readable), the
    modules the grader imports, and the start-up files an interpreter would run."""
    kernel = {}
    for path in KERNEL_FILES:
        try:
            if os.stat(path).st_mode & 0o444:
                kernel[path] = Path(path).read_bytes()
        except OSError as err:
            kernel[path] = type(err).__name__
    modules = {}
    for name in GRADER_MODULES:
        origin = Path(importlib.util.find_spec(name).origin)
        modules[str(origin)] = _digest(origin)
    folders = {*site.getsitepackages(), sysconfig.get_paths()["purelib"],
               sysconfig.get_paths()["stdlib"]}
    startup = {str(Path(f) / n): _digest(Path(f) / n) for f in folders
               for n in (ZEROING_PTH, "sitecustomize.py", "usercustomize.py")}
    return {"kernel": kernel, "modules": modules, "startup": startup}


def _rows(table) -> dict:
    return {Path(f).name: r for f, r in zip(table["file"], table.to_dict("records"))}


def _printed(folder: Path, name: str) -> str:
    """What the notebook ``name`` printed, from its stored executed notebook."""
    nb = json.loads((results_folder(folder, name) / "executed.ipynb").read_text())
    return "".join(str(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", [])
                   if isinstance(o, dict) and o.get("output_type") == "stream")


def _leased_processes() -> list[str]:
    """Processes whose real or effective uid is one the sandboxes lease."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            uids = next(line for line in status.read_text().splitlines()
                        if line.startswith("Uid:")).split()[1:3]
        except (OSError, StopIteration):
            continue
        if any(int(uid) in LEASED for uid in uids):
            found.append(f"{status.parent.name} (uid {uids[0]})")
    return found


def _leased_files() -> list[str]:
    """What a leased uid owns in the machine's shared temporary folders."""
    found = []
    for place in ("/tmp", "/var/tmp", "/dev/shm"):
        for entry in Path(place).iterdir():
            try:
                if entry.lstat().st_uid in LEASED:
                    found.append(str(entry))
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def before():
    return _world()


@pytest.fixture(scope="module")
def forgeries(built, before, tmp_path_factory):
    # Without a sandbox these forgeries would do real damage (one kills every process it
    # can): refuse to run them rather than pretend.
    assert choose().kind != "none", "install bubblewrap to run the adversary suite"
    PWNED.unlink(missing_ok=True)
    folder = tmp_path_factory.mktemp("forgeries")
    return write_forgeries(built["student"] / built["solution"].name, built["solution"], folder)


@pytest.fixture(scope="module")
def apart_started(forgeries, built, tmp_path_factory):
    """A batch graded alongside the local one (it mostly sleeps): the forgery that spends all
    its time, then, one after the other on the second worker, the remount forgery and an
    honest solution, which must not inherit anything the forgery planted."""
    out = tmp_path_factory.mktemp("apart-grades")
    solution = tmp_path_factory.mktemp("after") / "solution-after-remount.ipynb"
    shutil.copy(built["solution"], solution)
    order = [forgeries["starve-the-probes.ipynb"], forgeries["remount-interpreter.ipynb"],
             solution]
    # Warm the shared compile cache once, before either batch starts (each would otherwise).
    with tempfile.TemporaryDirectory(prefix="poolside-autograder-") as scratch:
        grade.warm_cache(grade.default_cache(), lambda text: None,
                         grade.unpack(built["autograder"], Path(scratch)),
                         grade.cache_stamp(built["autograder"]))
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(grade.main, order, out, built["autograder"], jobs=2,
                         timeout=APART_TIMEOUT, cell_timeout=STARVE_CELL_TIMEOUT,
                         echo=lambda text: None)
    yield {"future": future, "out": out}
    pool.shutdown(wait=True)


@pytest.fixture(scope="module")
def apart(apart_started):
    table = apart_started["future"].result()
    return {"table": table, "rows": _rows(table), "out": apart_started["out"]}


@pytest.fixture(scope="module")
def local(forgeries, built, apart_started, tmp_path_factory):
    out = tmp_path_factory.mktemp("forged-grades")
    started = time.monotonic()
    table = grade.main([forgeries[name] for name in IN_BATCH], out, built["autograder"], jobs=2,
                       timeout=600, cell_timeout=CELL_TIMEOUT, echo=lambda text: None)
    seconds = time.monotonic() - started
    digest = hashlib.sha256((out / "grades.csv").read_bytes()).hexdigest()
    time.sleep(15)  # past the detached rewriter's wake-up
    return {"table": table, "out": out, "digest": digest, "seconds": seconds}


@pytest.mark.parametrize("name", IN_BATCH)
def test_a_forgery_earns_only_what_its_honest_part_earns_locally(local, built, name):
    row = _rows(local["table"])[name]
    points = grade.question_points(built["autograder"])
    status, because = STATUS.get(name, ("graded", ""))
    assert row["status"] == status, row["reason"]
    assert because in row["reason"]
    _assert_scores(row, points, name)


def test_the_catalogue_covers_every_family():
    assert len(FORGERIES) >= 23
    assert set(ON_USER_PATH) <= set(FORGERIES)


def test_nothing_a_forgery_started_outlives_its_grading(local):
    assert _leftovers() == []


def test_results_do_not_change_after_the_batch_ends(local):
    after = hashlib.sha256((local["out"] / "grades.csv").read_bytes()).hexdigest()
    assert after == local["digest"]
    for path in local["out"].glob("*/results.json"):
        record = json.loads(path.read_text())
        assert {"key", "status", "scores"} <= set(record)  # the grader's, not a forgery's
        assert all(score != 999 for score in record["scores"].values())


def test_the_grader_never_unpickles_what_the_student_side_wrote(local):
    assert not PWNED.exists()


@pytest.mark.parametrize("name", ["read-hidden-material.ipynb", "leak-in-error-message.ipynb"])
def test_hidden_material_never_reaches_what_a_student_sees(local, name):
    folder = results_folder(local["out"], name)
    shown = (folder / "executed.ipynb").read_text() + (folder / "results.json").read_text()
    for snippet in HIDDEN_SNIPPETS:
        assert snippet not in shown


def test_huge_output_is_cut_in_the_stored_notebook(local):
    stored = results_folder(local["out"], "huge-output.ipynb") / "executed.ipynb"
    assert stored.stat().st_size < 2_000_000


def test_no_forgery_changed_the_kernel_or_the_interpreter(before, local, apart):
    assert _world() == before  # core_pattern, the grader's modules, no .pth or sitecustomize


@pytest.mark.parametrize("folder", ["local", "apart"])
def test_the_forgeries_say_they_were_refused(local, apart, folder):
    out = {"local": local, "apart": apart}[folder]["out"]
    remount = _printed(out, "remount-interpreter.ipynb")
    assert "patched: []" in remount and "could not patch pymc" in remount
    if folder == "local":
        kernel = _printed(out, "write-proc-sys.ipynb")
        assert "core_pattern" in kernel and "OPENED FOR WRITING" not in kernel


def test_no_sandbox_folder_outlives_its_grading(local):
    # the deep chain and the mode-000 folder included
    assert not [p for p in Path(tempfile.gettempdir()).glob("poolside-sandbox-*")
                if (p / "student" / "deep").exists() or (p / "student" / "locked").exists()]


def test_an_executed_notebook_rewritten_after_the_run_is_not_kept(local):
    # The detached rewriter replaces out/executed.ipynb as the notebook's run ends. Whether it
    # wins that race or not, the grader keeps only what the executor wrote, and says so.
    folder = results_folder(local["out"], "odd-stream-text.ipynb")
    stored = folder / "executed.ipynb"
    if stored.is_file():  # the sandbox ended before the rewriter read the notebook
        assert "12345" not in stored.read_text()
        nb = nbformat.read(stored, as_version=4)  # joins the lines nbformat writes as lists
        streams = [o for c in nb.cells for o in c.get("outputs", [])
                   if o.get("output_type") == "stream"]
        assert streams and all(isinstance(o["text"], str) for o in streams)
    else:
        assert "executed notebook was changed after the run" in \
            _rows(local["table"])["odd-stream-text.ipynb"]["reason"]


def test_a_run_record_forged_after_the_run_is_not_believed(local):
    row = _rows(local["table"])["forge-the-run-record.ipynb"]
    assert "run's own report was missing or changed" in row["reason"], row["reason"]
    assert "ran past" not in row["reason"] and "executed notebook was changed" in row["reason"]
    feedback = (results_folder(local["out"], "forge-the-run-record.ipynb")
                / "feedback.html").read_text()
    assert "ran past its time limit" not in feedback


def test_modules_planted_for_the_executor_are_never_imported(local):
    row = _rows(local["table"])["plant-a-module-for-the-executor.ipynb"]
    assert "changed after their check ran" not in row["reason"], row["reason"]


def test_a_report_that_would_unpack_past_the_limit_is_not_unpacked(local):
    said = json.loads((results_folder(local["out"], "report-bomb.ipynb")
                       / "results.json").read_text())
    assert "could not be read" in json.dumps(said)


#: The batch process alone on one zip: its peak memory (what ``poolside grade`` would use).
#: VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent (this test run).
BOMB_BATCH = """
import json, sys
from pathlib import Path
from poolside import grade
table = grade.main([Path(sys.argv[1])], Path(sys.argv[2]), Path(sys.argv[3]), jobs=1,
                   echo=lambda text: None)
peak = next(int(line.split()[1]) for line in open("/proc/self/status")
            if line.startswith("VmHWM:"))
print(json.dumps({"status": table["status"][0], "reason": table["reason"][0],
                  "peak_mb": peak / 1024}))
"""


@pytest.mark.parametrize("name", [
    "zip-bomb.zip",
    "zip-bomb-lying-size.zip",
])
def test_a_zip_bomb_is_refused_before_it_costs_the_batch_memory(forgeries, built, tmp_path,
                                                                 name):
    done = subprocess.run([sys.executable, "-c", BOMB_BATCH, str(forgeries[name]),
                           str(tmp_path / "out"), str(built["autograder"])],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert (seen["status"], STATUS[name][1] in seen["reason"]) == ("invalid", True), seen
    assert seen["peak_mb"] < 250, seen  # the bomb inflates to 300 MB


def test_the_probes_keep_their_time_when_the_cells_take_it_all(apart, built):
    row = apart["rows"]["starve-the-probes.ipynb"]
    points = grade.question_points(built["autograder"])
    assert row["status"] == "graded", row["reason"]
    assert "used up its time" in row["reason"]
    assert {q: row[q] for q in points} == _expected(points, {}), row["reason"]


def test_a_solution_graded_after_the_remount_forgery_keeps_its_marks(apart, built):
    rows, out = apart["rows"], apart["out"]
    points = grade.question_points(built["autograder"])
    forgery, solution = rows["remount-interpreter.ipynb"], rows["solution-after-remount.ipynb"]
    assert {q: forgery[q] for q in points} == _expected(points, "all zero")
    assert (solution["status"], solution["total"]) == ("graded", sum(points.values())), \
        solution["reason"]
    # On the same worker, one after the other: the solution started after the forgery ended.
    ended = (results_folder(out, "remount-interpreter.ipynb") / "results.json").stat().st_mtime
    finished = (results_folder(out, "solution-after-remount.ipynb") / "results.json"
                ).stat().st_mtime
    assert finished - solution["seconds"] >= ended - 1


@pytest.fixture(scope="module")
def emulated(forgeries, built, tmp_path_factory):
    os.environ["POOLSIDE_CELL_TIMEOUT"] = str(CELL_TIMEOUT)
    folders = {name: tmp_path_factory.mktemp("gs") for name in ON_GRADESCOPE}
    try:  # two at a time, as the local batch does
        with ThreadPoolExecutor(max_workers=2) as pool:
            reports = pool.map(lambda name: gradescope.main(forgeries[name], built["autograder"],
                                                            folders[name]), ON_GRADESCOPE)
            return dict(zip(ON_GRADESCOPE, reports))
    finally:
        del os.environ["POOLSIDE_CELL_TIMEOUT"]


@pytest.mark.parametrize("name", ON_GRADESCOPE)
def test_a_forgery_earns_only_what_its_honest_part_earns_on_gradescope(emulated, built, name):
    report = emulated[name]
    assert report["results"] is not None, report.get("log")
    assert report["problems"] == []
    scores = question_scores(report["results"])
    points = grade.question_points(built["autograder"])
    assert scores == _expected(points, FORGERIES[name][2]), report["results"]["output"]
    for test in report["results"]["tests"]:
        for snippet in HIDDEN_SNIPPETS:
            assert snippet not in test["output"]


def test_nothing_outlives_the_gradescope_runs(emulated):
    assert _leftovers() == []


@pytest.fixture(scope="module")
def on_user_path(forgeries, built, reachable, tmp_path_factory):
    """A few forgeries graded by ``poolside grade`` with the ``user`` sandbox (Gradescope's)."""
    if os.geteuid() != 0:
        pytest.skip("the 'user' sandbox is root's (Gradescope runs as root)")
    out = tmp_path_factory.mktemp("user-path-grades")
    os.environ["POOLSIDE_SANDBOX"] = "user"
    try:
        assert choose().kind == "user"
        table = grade.main([forgeries[name] for name in ON_USER_PATH], out, built["autograder"],
                           jobs=2, timeout=600, cell_timeout=CELL_TIMEOUT,
                           echo=lambda text: None)
    finally:
        del os.environ["POOLSIDE_SANDBOX"]
    return {"table": table, "rows": _rows(table), "out": out}


@pytest.mark.parametrize("name", ON_USER_PATH)
def test_a_forgery_earns_only_what_its_honest_part_earns_on_the_user_path(on_user_path, built,
                                                                          name):
    row = on_user_path["rows"][name]
    points = grade.question_points(built["autograder"])
    assert row["status"] == STATUS.get(name, ("graded", ""))[0], row["reason"]
    _assert_scores(row, points, name)


def test_nothing_of_the_leased_uids_outlives_the_user_path(on_user_path):
    assert _leased_processes() == []
    assert _leased_files() == []  # fill-the-disk's files in the machine's /tmp and /dev/shm
    assert _leftovers() == []  # so the detached rewriter is gone before it wakes
    out = on_user_path["out"]
    assert "patched: []" in _printed(out, "remount-interpreter.ipynb")
    kernel = _printed(out, "write-proc-sys.ipynb")
    assert "core_pattern" in kernel and "OPENED FOR WRITING" not in kernel


def test_nothing_changed_the_machine_on_any_path(before, local, apart, emulated, on_user_path):
    assert _world() == before
    assert _leased_processes() == []
