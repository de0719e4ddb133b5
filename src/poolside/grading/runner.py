"""Grade one notebook: the student's side in a sandbox, the verdicts here.

The one grading path. Gradescope's ``run_autograder``, ``poolside grade`` and ``poolside run``
all call :func:`grade`:

1. draw this grading's inputs (the assignment's :class:`~poolside.grading.context.Context`)
   and plan the probes of its registry (:mod:`poolside.grading.registry`);
2. lay out a folder with the notebook, its helpers and data, the plan and the inputs, and run
   :mod:`poolside.grading.sandboxed.execute` there in a sandbox
   (:mod:`poolside.grading.sandbox`), which can see nothing else and is killed, with every
   process it started, when it ends;
3. read the reports as plain data (:mod:`poolside.grading.sandboxed.wire`), judge them against
   what only this process knows and write Gradescope's ``results.json``, every question
   capped at its points.

Command line (ASSIGNMENT is the folder with ``poolside.toml``: the zip's ``files/``)::

    python -m poolside.grading.runner NOTEBOOK WORKDIR [--assignment DIR] [--cache DIR]
        [--cell-timeout S] [--timeout S] [--sandbox KIND]
    python -m poolside.grading.runner --gradescope /autograder --assignment DIR
    python -m poolside.grading.runner --rejudge EVIDENCE [EVIDENCE ...] --assignment DIR
        [--cell-timeout S] [--timeout S]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from . import cells, evidence
from .assignment import HANDOUT, Assignment, load, public_tests_digest
from .cleanup import remove_tree
from .limits import CELL_TIMEOUT, MAX_NOTEBOOK, PROBE_RESERVE, TIMEOUT
from .sandbox import Sandbox, choose
from .sandboxed import wire

if TYPE_CHECKING:
    from .registry import Registry

# The registry, its checks (pytest, numpy, pandas) and nbformat are imported where they are
# used: while the notebook runs, this process holds only what it needs to wait for it (see
# grade), so that grading's memory is the student's kernel and little more.

__all__ = ["grade", "main", "CELL_TIMEOUT", "TIMEOUT"]

HERE = Path(__file__).resolve().parent
#: Characters of one output kept in the stored executed notebook.
MAX_OUTPUT = 20_000
#: Bytes of the executed notebook the executor writes (it keeps 32 MB of outputs at most).
MAX_EXECUTED = wire.MAX_BYTES


def _layout(notebook: Path, folder: Path, assignment: Assignment, cache: Path | None) -> None:
    (folder / "out").mkdir(parents=True)
    shutil.copy(notebook, folder / assignment.notebook)
    for source in assignment.student_files:
        shutil.copy(source, folder / source.name)
    shutil.copytree(HERE / "sandboxed", folder / "sandboxed",
                    ignore=shutil.ignore_patterns("__pycache__"))
    if cache is not None and Path(cache).is_dir():
        # A copy: the student's side may write to its cache, the grader's must stay clean.
        shutil.copytree(cache, folder / "cache", symlinks=False)


def _digests(log: Path) -> dict[str, str]:
    """The fingerprints the executor gave, on its output (which reaches only this log: see
    :mod:`.sandboxed.execute`): each probe's report as the probe ended (the first one counts)
    and the run's own files as they were last written (the last one counts)."""
    digests: dict[str, str] = {}
    try:
        with open(log, "rb") as lines:
            for line in lines:
                words = line.decode("utf-8", "replace").split()
                if len(words) == 3 and words[0] == wire.DIGEST:
                    digests.setdefault(words[1], words[2])
                elif len(words) == 3 and words[0] == wire.RUN_DIGEST:
                    digests[f"run:{words[1]}"] = words[2]
    except OSError:
        pass
    return digests


#: Bytes of all of a grading's reports together, as they unpack: each may have
#: ``wire.MAX_BYTES``, and an honest grading's come to about 16 MB.
MAX_REPORTS = 4 * wire.MAX_BYTES


def _reports(folder: Path, entries: list[dict], digests: dict[str, str] | None = None
             ) -> tuple[dict, dict]:
    """Each probe's report, plain again; None for one that is missing, that changed after its
    probe ended (when ``digests`` are given) or that is past what the reports may take in all.
    With the run's report (:mod:`.sandboxed.execute`'s), or {} when it changed after the
    executor last wrote it."""
    out = folder / "out"
    if out.is_symlink() or not out.is_dir():  # a link to another grading's folder: nothing
        return {entry["id"]: None for entry in entries}, {}
    execution = _record(out, "execution", None if digests is None
                        else digests.get("run:execution", "absent"))
    if not isinstance(execution, dict):
        execution = {"unconfirmed": True} if digests is not None else {}
    states = execution.get("probes") if isinstance(execution.get("probes"), dict) else {}
    reports = {}
    changed, room = [], MAX_REPORTS
    for entry in entries:
        report = None
        expected = None if digests is None else digests.get(entry["id"])
        try:
            files = wire.read(out, entry["id"])
            size = wire.unpacked_size(*files)
            if expected is not None and wire.digest_of(files) != expected:
                changed.append(entry["id"])
            elif size > min(room, wire.MAX_BYTES):
                report = {"outcome": "unreadable", "message": (
                    f"its report would take more than {wire.MAX_BYTES // 2**20} MB"
                    if size > wire.MAX_BYTES else "the reports together were too large")}
            else:
                report = wire.decode(files)
                room -= size
        except Exception:  # noqa: BLE001 - whatever the student's side wrote, it is not a report
            report = None
        state = states.get(entry["id"])
        if not isinstance(report, dict) and state in ("died", "timeout"):
            report = {"outcome": state}
        if isinstance(report, dict):
            from .registry import plain_report

            report = plain_report(entry, report)
        reports[entry["id"]] = report if isinstance(report, dict) else None
    if changed:
        execution["changed"] = changed
    return reports, execution


def _record(out: Path, name: str, expected: str | None):
    """The executor's record ``name``, if it is as the executor last wrote it (``expected``
    is its fingerprint; None: not checked); None otherwise."""
    try:
        files = wire.read(out, name)
        if expected is not None and wire.digest_of(files) != expected:
            return None
        return wire.decode(files)
    except Exception:  # noqa: BLE001 - whatever the student's side wrote, it is not a report
        return None


def _executed(folder: Path, target: Path | None, states: dict | None = None,
              expected: str | None = None) -> tuple[list[str], list[cells.Cell]]:
    """Store the executed notebook (long outputs cut); return the errors' names and the cells
    that raised or did not finish (``states``: the executor's outcome per cell).

    Only the notebook the executor wrote is read (``expected``, its fingerprint, when given):
    one changed after it, by a process the notebook left behind, could say anything about
    the run. Anything in it that is not what a notebook holds is dropped, and nothing in it
    can stop the grading (an unreadable one is simply not stored)."""
    path = folder / "out" / "executed.ipynb"
    try:
        if (folder / "out").is_symlink():
            raise ValueError("out/ is a link")
        data = wire.read_regular(path, MAX_EXECUTED)
        if expected is not None and wire.digest_of((data,)) != expected:
            raise ValueError("changed after the executor wrote it")
        # Read as JSON, not with nbformat (a quarter of a CPU-second to import and validate):
        # the executor wrote a version 4 notebook, and every part of it is checked as used.
        nb = json.loads(data.decode("utf-8", errors="replace"))
        if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) \
                or nb.get("nbformat") != 4:
            raise ValueError("not a version 4 notebook")
        names = []
        for cell in nb["cells"]:
            outputs = cell.get("outputs", []) if isinstance(cell, dict) else []
            if not isinstance(outputs, list):
                cell["outputs"] = outputs = []
            outputs[:] = [_shortened(out) for out in outputs if isinstance(out, dict)]
            names += [str(out.get("ename"))[:80] for out in outputs
                      if out.get("output_type") == "error"]
        if target is not None:
            target.write_text(json.dumps(nb, indent=1), encoding="utf-8")
        return names, cells.read(nb, states)
    except Exception:  # noqa: BLE001 - a notebook the grader cannot store is not stored
        if target is not None:
            target.unlink(missing_ok=True)
        return [], []


def _shortened(out: dict) -> dict:
    text = out.get("text")
    if isinstance(text, list):
        text = "".join(str(t) for t in text)
    if "text" in out:
        text = str(text)
        out["text"] = (text[:MAX_OUTPUT] + "\n[... output cut by the grader ...]\n"
                       if len(text) > MAX_OUTPUT else text)
    data = out.get("data")
    if isinstance(data, dict):
        for key, value in list(data.items()):
            if isinstance(value, str) and len(value) > MAX_OUTPUT and key != "image/png":
                data[key] = value[:MAX_OUTPUT]
    elif "data" in out:
        out["data"] = {}
    return out


def _from_another_handout(digest: str | None, assignment: Assignment) -> bool:
    stored = assignment.root / HANDOUT
    try:
        expected = json.loads(stored.read_text(encoding="utf-8"))["public_tests"]
    except (OSError, ValueError, KeyError, TypeError):
        return False  # a zip built before the handout was recorded: nothing to compare
    return isinstance(expected, list) and digest not in expected


def _notes(execution: dict, errors: list[str], run: dict, cell_timeout: int) -> list[str]:
    """What happened to the notebook's run, in words a student can act on."""
    notes = []
    states = execution.get("cells") if isinstance(execution.get("cells"), dict) else {}
    hung = sum(1 for v in states.values() if v == "timeout")
    died = sum(1 for v in states.values() if v == "died")
    late = sum(1 for v in states.values() if v in ("deadline", "skipped"))
    abandoned = sum(1 for v in states.values() if v == "abandoned")
    if hung:
        notes.append(f"{hung} cell(s) ran past {cell_timeout} s and were stopped")
    if late:
        notes.append(f"{late} cell(s) were stopped or not run: the notebook used up its time, "
                     "and the rest was kept for the checks")
    if died:
        again = ("after the kernel had been replaced too often, the notebook was not run "
                 "again and the checks ran in a new, empty kernel"
                 if execution.get("gave_up") else "the notebook was run again without them")
        notes.append(f"the kernel died in {died} cell(s) (os._exit, a crash or out of memory); "
                     + again)
    if abandoned:
        notes.append(f"{abandoned} cell(s) were not run: the kernel had been replaced too "
                     "often")
    if "SystemExit" in errors:
        notes.append("the notebook called sys.exit; later cells still ran")
    if run["timed_out"]:
        notes.append(f"the notebook was stopped after {run['seconds']:.0f} s; checks that had "
                     "not run count as failed")
    elif not execution.get("completed"):
        notes.append("the notebook's run did not finish normally")
    return notes


#: How a question's part that the notebook's public checks also judge is named on Gradescope.
PUBLIC_PART = "{question}: what grader.check checks"


def gradescope_results(results: list[dict], scores: dict, questions: dict[str, float],
                       about_run: list[str], written: dict[str, float] | None = None) -> dict:
    """Gradescope's ``results.json``.

    Per question, the cases the notebook's public checks also judge (``public``) are one test
    shown at once: the student has seen those verdicts already. The rest is one test shown
    once grades are published. Each test names its question in ``extra_data``; a question's
    score is capped as :meth:`Registry.score` caps it, its public part first.
    """
    tests = []
    for question, possible in questions.items():
        cases = [r for r in results if r["question"] == question]
        public_max = min(possible, sum(r["points"] for r in cases if r.get("public")))
        public = min(scores[question], public_max,
                     sum(r["points"] for r in cases if r.get("public") and r["passed"]))
        for shown, part, score, most in (
                (True, [r for r in cases if r.get("public")], public, public_max),
                (False, [r for r in cases if not r.get("public")], scores[question] - public,
                 possible - public_max)):
            if not part:
                continue
            lines = [f"{'passed' if r['passed'] else 'failed'}: {r['name']} "
                     f"({r['points']:g} pt)" + ("" if r["passed"] else f"\n    {r['message']}")
                     for r in part]
            tests.append({"name": PUBLIC_PART.format(question=question) if shown else question,
                          "score": score, "max_score": most,
                          "status": "passed" if score >= most else "failed",
                          "visibility": "visible" if shown else "after_published",
                          "output": "\n".join(lines), "extra_data": {"question": question}})
    return {"score": float(sum(scores.values())), "tests": tests,
            "output": overview(tests, about_run, written or {}),
            "visibility": "visible", "stdout_visibility": "hidden"}


def question_scores(output: dict) -> dict[str, float]:
    """Points per question from :func:`gradescope_results`' output (its tests summed)."""
    scores: dict[str, float] = {}
    for test in output["tests"]:
        question = (test.get("extra_data") or {}).get("question", test["name"])
        scores[question] = scores.get(question, 0.0) + float(test["score"])
    return scores


def overview(tests: list[dict], about_run: list[str], written: dict[str, float]) -> str:
    """The message a student reads first on Gradescope: what counts now, what comes later."""
    shown = [t for t in tests if t["visibility"] == "visible"]
    later = [t for t in tests if t["visibility"] != "visible"]
    lines = ["Your notebook was run from top to bottom, as Restart & Run All would, and then "
             "checked."]
    if shown:
        got = sum(t["score"] for t in shown)
        most = sum(t["max_score"] for t in shown)
        names = ", ".join(t["extra_data"]["question"] for t in shown)
        lines.append(f"Shown now ({names}): {got:g} of {most:g} points, from the same checks "
                     "grader.check runs in your notebook (here on inputs the grader made).")
    if later:
        most = sum(t["max_score"] for t in later)
        lines.append(f"The other {most:g} autograded points, and what each check found, appear "
                     "here when grades are published.")
    if written:
        lines.append(f"Written answers ({', '.join(written)}; {sum(written.values()):g} "
                     "points) are graded by hand, not here.")
    if about_run:
        lines.append("About your notebook's run: " + "; ".join(about_run) + ".")
    return "\n\n".join(lines)


def grade(notebook: Path, workdir: Path, results_path: Path, assignment: Assignment, *,
          sandbox: Sandbox | None = None,
          cache: Path | None = None, cell_timeout: int = CELL_TIMEOUT,
          timeout: float = TIMEOUT, seed: int | None = None,
          executed: Path | None = None, store: Path | None = None) -> dict:
    """Grade ``notebook``; write ``results_path`` (Gradescope's format) and return a summary.

    With ``store``, the reports and the facts of the run are kept there
    (:mod:`.evidence`), so that :func:`rejudge` can judge them again without the notebook.

    Returns
    -------
    dict
        ``scores`` per question, ``notes`` (what an instructor should know), ``sandbox``,
        ``timed_out`` and ``seconds`` of the student's side.
    """
    sandbox = sandbox or choose()
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    # Planning imports the checks (pytest, numpy, pandas: about 100 MB) and judging imports
    # PyMC besides: a child process plans, so that this one holds neither while the notebook
    # runs, and judging comes after the student's side has ended. The grading's inputs are
    # drawn again here from the child's seed (as rejudge does) and must plan the same probes.
    reports, facts = _run_student_side(
        Path(notebook), assignment, _plan_in_child(assignment, seed, cell_timeout, timeout),
        sandbox, cache, cell_timeout, timeout, workdir, executed)
    registry = assignment.load_registry()
    grading, key = _replanned(registry, assignment, facts["seed"], cell_timeout, timeout)
    if key != facts["probe_key"]:
        raise RuntimeError("the grading's inputs are not reproducible from its seed: the "
                           "checks' context draws something the seed does not fix")
    if store is not None:
        evidence.save(store, facts, reports)
    return conclude(registry, grading, reports, facts, assignment, results_path)


def _plan_in_child(assignment: Assignment, seed: int | None, cell_timeout: int,
                   timeout: float) -> Callable[[Path], dict]:
    """A planner for :func:`_run_student_side` that plans in a new process (``--plan``)."""
    def plan(folder: Path) -> dict:
        command = [sys.executable, "-m", "poolside.grading.runner", "--plan", str(folder),
                   "--assignment", str(assignment.root), "--cell-timeout", str(int(cell_timeout)),
                   "--timeout", repr(float(timeout))]
        if seed is not None:
            command += ["--seed", str(int(seed))]
        # The same poolside as this process's, wherever that came from (the zip's files/).
        path = [str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")]
        done = subprocess.run(command, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, path))})
        if done.returncode != 0:
            raise RuntimeError(f"planning the grading failed:\n{done.stderr[-3000:]}")
        planned = json.loads(done.stdout.strip().splitlines()[-1])
        planned["entries"] = wire.load(folder, "plan")["probes"]
        return planned
    return plan


def _plan_here(assignment: Assignment, grading, entries: list[dict], cell_timeout: int,
               timeout: float) -> Callable[[Path], dict]:
    """A planner for :func:`_run_student_side` with the grading planned in this process."""
    def plan(folder: Path) -> dict:
        from .registry import write_inputs

        write_inputs(grading, entries, folder, assignment.notebook, cell_timeout,
                     cells_until=_cells_until(timeout))
        return {"seed": grading.seed, "entries": entries,
                "probe_key": evidence.probe_key(entries, grading.inputs,
                                                assignment.student_files, cell_timeout,
                                                timeout)}
    return plan


def _cells_until(timeout: float) -> float:
    return max(timeout - PROBE_RESERVE, timeout / 2)


def plan_into(folder: Path, assignment: Assignment, seed: int | None, cell_timeout: int,
              timeout: float) -> dict:
    """Draw a grading's inputs, plan its probes and write both into ``folder``; return the
    seed and the probe key (what ``--plan`` prints)."""
    registry = assignment.load_registry()
    grading = registry.context(seed)
    entries = registry.plan(grading)
    planned = _plan_here(assignment, grading, entries, cell_timeout, timeout)(folder)
    return {"seed": planned["seed"], "probe_key": planned["probe_key"]}


def execute(notebook: Path, assignment: Assignment, grading, entries: list[dict],
            sandbox: Sandbox, cache: Path | None, cell_timeout: int, timeout: float,
            workdir: Path | None = None, executed: Path | None = None) -> tuple[dict, dict]:
    """Run the notebook and the probes ``entries`` once, in ``sandbox``; return the plain
    reports and the facts of the run (what :func:`conclude` and :mod:`.evidence` need).
    ``workdir`` keeps the student's side's log (a temporary folder when None); ``executed``
    is where the executed notebook is stored."""
    return _run_student_side(notebook, assignment,
                             _plan_here(assignment, grading, entries, cell_timeout, timeout),
                             sandbox, cache, cell_timeout, timeout, workdir, executed)


def _run_student_side(notebook: Path, assignment: Assignment, plan: Callable[[Path], dict],
                      sandbox: Sandbox, cache: Path | None, cell_timeout: int, timeout: float,
                      workdir: Path | None = None,
                      executed: Path | None = None) -> tuple[dict, dict]:
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="poolside-execute-") as tmp:
            return _run_student_side(notebook, assignment, plan, sandbox, cache, cell_timeout,
                                     timeout, Path(tmp), executed)
    env = {k: v for k, v in os.environ.items()
           if k.startswith(("MALLOC_", "NUMBA_CPU_NAME", "OMP_", "LANG", "LC_"))}
    with sandbox.open() as box:
        folder = box.folder
        _layout(Path(notebook), folder, assignment, cache)
        inside = sandbox.folder_inside(folder)
        planned = plan(folder)
        entries = planned["entries"]
        env.update({"PYTENSOR_FLAGS": f"base_compiledir={inside}/cache/pytensor,cxx=",
                    "NUMBA_CACHE_DIR": f"{inside}/cache/numba", "NUMBA_CPU_NAME": "generic",
                    "JUPYTER_PLATFORM_DIRS": "1"})
        if sandbox.kind != "none":  # the executor may then kill every other process it can
            env["POOLSIDE_SANDBOXED"] = "1"
        run = sandbox.run(box, [sys.executable, "-m", "sandboxed.execute", str(inside)], env,
                          timeout, workdir / "student.log")
        digests = _digests(workdir / "student.log")
        reports, execution = _reports(folder, entries, digests)
        if execution.get("error"):  # said before any of the notebook's code ran
            raise RuntimeError(f"grading could not run the notebook: {execution['error']} "
                               "(is IPython installed where the grading runs?)")
        errors, failed = _executed(folder, executed, execution.get("cells"),
                                   digests.get("run:executed.ipynb", "absent"))
        if executed is not None and not executed.exists() \
                and (folder / "out" / "executed.ipynb").exists():
            execution["executed_not_kept"] = True
    facts = {"seed": planned["seed"], "execution": execution, "errors": errors,
             "cells": [{"index": c.index, "source": c.source, "problem": c.problem}
                       for c in failed],
             "timed_out": run["timed_out"], "seconds": run["seconds"],
             "handout": public_tests_digest(Path(notebook)), "box_notes": list(box.notes),
             "sandbox": sandbox.kind, "sandbox_label": sandbox.label,
             "cell_timeout": int(cell_timeout), "probe_key": planned["probe_key"],
             "timeout": float(timeout)}
    return reports, facts


def rejudge(store: Path, results_path: Path, assignment: Assignment,
            registry: Registry | None = None, cell_timeout: int | None = None,
            timeout: float | None = None) -> dict:
    """Judge a grading's stored reports again (new points, messages or verdicts), without
    running the notebook; write ``results_path`` and return the summary :func:`grade` would.

    Raises
    ------
    evidence.Stale
        When the reports stored are not what a run with this assignment would give (its
        probes, their inputs, the student's side or the limits changed), or are missing.
        ``cell_timeout`` and ``timeout`` are today's limits (the stored ones by default).
    """
    facts, reports = evidence.load(store)
    registry = registry or assignment.load_registry()
    try:
        grading, key = _replanned(
            registry, assignment, facts["seed"],
            facts["cell_timeout"] if cell_timeout is None else cell_timeout,
            facts["timeout"] if timeout is None else timeout)
    except (KeyError, TypeError, ValueError) as err:
        raise evidence.Stale(f"stored facts unreadable ({type(err).__name__})") from None
    if key != facts.get("probe_key"):
        raise evidence.Stale("what is probed changed (the probes, their inputs, the student's "
                             "side or the limits)")
    return conclude(registry, grading, reports, facts, assignment, results_path)


def _replanned(registry: Registry, assignment: Assignment, seed, cell_timeout: int,
               timeout: float):
    """A grading's inputs drawn again from its seed, and the key of what they probe (equal to
    the stored one when the reports can be judged with them)."""
    grading = registry.context(int(seed))
    entries = registry.plan(grading)
    return grading, evidence.probe_key(entries, grading.inputs, assignment.student_files,
                                       cell_timeout, timeout)


def conclude(registry: Registry, grading, reports: dict, facts: dict, assignment: Assignment,
             results_path: Path) -> dict:
    """Judge the reports, write Gradescope's results and return the grading's summary."""
    failed = [cells.Cell(int(c["index"]), str(c["source"]), str(c["problem"]))
              for c in facts["cells"]]
    execution, errors = facts["execution"], facts["errors"]
    results = registry.judge(grading, reports,
                             why_missing=lambda name: cells.why_missing(name, failed))
    scores = registry.score(results)
    run = {"timed_out": facts["timed_out"], "seconds": facts["seconds"]}
    about_run = _notes(execution, errors, run, facts["cell_timeout"])
    if _from_another_handout(facts.get("handout"), assignment):
        about_run.append("this notebook carries the public checks of another version of the "
                         "assignment, so its grader.check cells may have said other things "
                         "than these results: download the current notebook and copy your "
                         "work into it")
    about_run += [line for line in [cells.summary(failed)] if line]
    if any("No space left on device" in str(r.get("message")) for r in results):
        about_run.append("the notebook filled the space it may write to (its /tmp or /dev/shm, "
                         "or its disk quota): checks that needed space failed")
    # For the instructor only (grades.csv, the runner's output): how it was graded.
    about_grading = list(facts["box_notes"])
    if execution.get("changed"):
        about_grading.append(f"{len(execution['changed'])} check report(s) were changed after "
                             "their check ran and were not used")
    if execution.get("executed_not_kept"):
        about_grading.append("the executed notebook was changed after the run, or could not "
                             "be read, and was not kept")
    if execution.get("unconfirmed"):
        about_grading.append("the run's own report was missing or changed after the executor "
                             "wrote it (a process the notebook started, or the executor was "
                             "stopped): what happened to its cells is not known")
    if facts["sandbox"] == "none":
        about_grading.append("unsandboxed")
    about_grading += [f"the check '{r['name']}' failed with an error ({r['error']}): a grader "
                      "problem if the notebook's answer looks right"
                      for r in results if r.get("error")]
    notes = about_run + about_grading
    output = gradescope_results(results, scores, registry.questions, about_run,
                                assignment.written())
    results_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = results_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(output, indent=1), encoding="utf-8")
    tmp.replace(results_path)
    return {"scores": scores, "notes": notes, "sandbox": facts["sandbox"],
            "sandbox_label": facts["sandbox_label"], "seed": grading.seed,
            "about_run": about_run, "timed_out": facts["timed_out"],
            "seconds": facts["seconds"], "results": results,
            "cells": [{"index": c.index, "line": c.first_line, "problem": c.problem}
                      for c in failed]}


def _gradescope(root: Path, assignment: Assignment) -> int:
    """Gradescope's entry point: grade the one notebook uploaded, whatever else came with it."""
    submission = root / "submission"
    # Gradescope's own files (the student's name and email among them) are root's alone.
    for private in (root / "submission_metadata.json", submission):
        if private.exists() and not private.is_symlink():
            os.chmod(private, 0o600 if private.is_file() else 0o700)
    notebooks = sorted(p for p in submission.rglob("*.ipynb")
                       if ".ipynb_checkpoints" not in p.parts and not p.is_symlink())
    results_path = root / "results" / "results.json"
    message = None
    if len(notebooks) != 1:
        message = (f"The upload holds {len(notebooks)} notebooks; upload exactly one "
                   f"({assignment.notebook}). Nothing was graded.")
    elif notebooks[0].stat().st_size > MAX_NOTEBOOK:
        message = (f"The notebook is {notebooks[0].stat().st_size / 1024**2:.0f} MB, more than "
                   f"the {MAX_NOTEBOOK // 1024**2} MB a notebook may be: clear large outputs "
                   "and export again. Nothing was graded.")
    else:
        try:
            wire.parse_notebook(notebooks[0].read_bytes())
        except (OSError, ValueError) as err:
            message = (f"The notebook could not be read ({str(err)[:120]}): save it in Jupyter, "
                       "export it again and upload that. Nothing was graded.")
    if message is not None:
        tests = [{"name": q, "score": 0.0, "max_score": p, "status": "failed",
                  "visibility": "visible", "output": message}
                 for q, p in assignment.load_registry().questions.items()]
        results_path.parent.mkdir(parents=True, exist_ok=True)
        results_path.write_text(json.dumps({"score": 0.0, "tests": tests, "output": message}))
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="poolside-grading-"))
    try:
        # An instructor may shorten the limits (the adversary tests do) without rebuilding.
        summary = grade(notebooks[0], workdir, results_path, assignment, cache=root / "cache",
                        cell_timeout=int(os.environ.get("POOLSIDE_CELL_TIMEOUT", CELL_TIMEOUT)),
                        timeout=float(os.environ.get("POOLSIDE_TIMEOUT", TIMEOUT)))
        # Gradescope shows this output to instructors only (stdout_visibility: hidden).
        print(f"Graded {summary['sandbox_label']}; scores {summary['scores']}; notes: "
              + ("; ".join(summary["notes"]) or "none"))
    finally:
        remove_tree(workdir)
    return 0


def _write_summary(workdir: Path, summary: dict) -> None:
    (workdir / "summary.json").write_text(json.dumps(
        {"checks": summary["results"],
         **{k: summary[k] for k in ("scores", "notes", "sandbox", "timed_out", "seconds",
                                    "seed", "cells", "about_run")}}))


#: What :func:`main` writes in an evidence folder whose reports cannot be judged again.
STALE = "stale.txt"


def _rejudge_all(stores: list[Path], assignment: Assignment, cell_timeout: int,
                 timeout: float) -> int:
    """Judge each evidence folder again (one registry for all of them), writing its
    ``results.json`` and ``summary.json`` into it, or :data:`STALE` saying why not."""
    registry = assignment.load_registry()
    for store in stores:
        (store / STALE).unlink(missing_ok=True)
        try:
            summary = rejudge(store, store / "results.json", assignment, registry,
                              cell_timeout, timeout)
        except evidence.Stale as err:
            (store / STALE).write_text(str(err))
            continue
        _write_summary(store, summary)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m poolside.grading.runner")
    parser.add_argument("notebook", nargs="?", type=Path)
    parser.add_argument("workdir", nargs="?", type=Path)
    parser.add_argument("--gradescope", nargs="?", const="/autograder", default=None)
    parser.add_argument("--rejudge", nargs="+", type=Path, metavar="EVIDENCE",
                        help="judge the evidence a grading stored (its evidence/ folder) again")
    parser.add_argument("--assignment", type=Path, default=Path("."),
                        help="the folder with poolside.toml (default: here)")
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT)
    parser.add_argument("--timeout", type=float, default=TIMEOUT)
    parser.add_argument("--sandbox", choices=("bwrap", "user", "none"))
    parser.add_argument("--seed", type=int, help="replay a grading's inputs (with --plan)")
    parser.add_argument("--plan", type=Path, metavar="FOLDER",
                        help="only plan a grading into FOLDER and print its seed and probe key")
    args = parser.parse_args(argv)
    # PyTensor writes the source of every function it compiles to a temporary file and keeps
    # it: this process and the planner keep theirs in a folder of their own, removed at the
    # end, so that a batch leaves no files behind in the machine's /tmp.
    private = tempfile.mkdtemp(prefix="poolside-runner-")
    saved = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"] = tempfile.tempdir = private
    try:
        return _main(args)
    finally:
        if saved[0] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved[0]
        tempfile.tempdir = saved[1]
        remove_tree(Path(private))


def _main(args: argparse.Namespace) -> int:
    assignment = load(args.assignment)
    if args.plan:
        print(json.dumps(plan_into(args.plan, assignment, args.seed, args.cell_timeout,
                                   args.timeout)))
        return 0
    if args.gradescope:
        return _gradescope(Path(args.gradescope), assignment)
    if args.rejudge:
        return _rejudge_all([f.resolve() for f in args.rejudge], assignment, args.cell_timeout,
                            args.timeout)
    workdir = args.workdir.resolve()
    summary = grade(args.notebook.resolve(), workdir, workdir / "results.json", assignment,
                    sandbox=choose(args.sandbox), cache=args.cache,
                    cell_timeout=args.cell_timeout, timeout=args.timeout,
                    executed=workdir / "executed.ipynb", store=workdir / evidence.FOLDER)
    _write_summary(workdir, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
