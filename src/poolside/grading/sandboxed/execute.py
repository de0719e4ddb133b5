"""Execute a submission and its probes: ``python -m sandboxed.execute FOLDER``.

Runs inside the sandbox, as the student's code does. ``FOLDER`` holds the notebook, the
grader's ``plan`` and ``inputs`` (:mod:`.wire` records) and an ``out/`` folder for reports.

Cells run one by one in a kernel of this Python (:mod:`.kernel`: IPython's shell without
Jupyter's messaging), whatever kernel the notebook names. A cell that runs past the plan's cell
limit is interrupted; a kernel that dies (``os._exit``, a crash) or ignores the interrupt is
replaced, and the cells before are run again without the ones that
killed or hung it, so finished work keeps counting. The cells must finish by the plan's
``cells_until``: what has not run by then is skipped, so that the probes always get their
reserved time. Then each probe runs as a cell of its own.

The notebook never sees the grader's inputs while its cells run: this process reads them and
takes them off the disk before the kernel starts, runs the probes that need none (fits, answers)
first, and puts the inputs back only for the probes that call the student's functions. After
each probe it writes the report's fingerprint to its own output, which only the grader reads:
the kernel does not inherit it, and this process is made undumpable, so that a process of the
same uid can neither write through its descriptors nor read its memory. A report changed after
its probe no longer matches its fingerprint. The same goes for what happened (``out/execution``,
rewritten after every cell) and the executed notebook (``out/executed.ipynb``): the last
fingerprint of each counts, so that a process the notebook leaves behind can erase them but not
make them say something else.

This process imports nothing from the folder once the notebook's code may have written to it:
everything it needs is imported first, and the folder is taken off its import path.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import kernel, wire

__all__ = ["main"]

MAX_RESTARTS = 3
#: Probes that need no input run first, before the inputs are back on disk.
WITHOUT_INPUTS = ("fit", "values")
#: Longest a probe's cell may run: its own alarms stop a call at 20 s and a model or fit at
#: 120 s; this bounds one that switched them off, so one hang cannot use the probes' reserve.
PROBE_SECONDS = 130
#: Bytes one cell's answer may have (the kernel keeps a cell's outputs under about 2 MB): past
#: it, the kernel is taken for broken and replaced.
MAX_ANSWER = 16 * 1024**2
#: Bytes of outputs kept for the executed notebook over the whole run; past it a cell's
#: outputs are replaced by a note, so that this process's memory stays bounded.
MAX_STORED = 32 * 1024**2
#: Seconds a kernel has to answer after its cell was interrupted.
INTERRUPT_GRACE = 10
#: Seconds a new kernel has to start its shell (about one on a quiet machine), not counted
#: against any cell.
STARTUP_SECONDS = 120
#: Tries to start a kernel after one was replaced (processes just killed may still hold the
#: process limit for a moment).
START_TRIES = 3


class _Died(Exception):
    """The student's process ended, or answered with something that is not a frame."""


class _Kernel:
    """The student's process (:mod:`.kernel`) and the two pipes to it. Nothing here blocks
    past a deadline, and nothing it sends is trusted: the other end is the student's code."""

    def __init__(self, folder: Path):
        cmd_read, self.cmd = os.pipe()
        self.answers, answer_write = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "sandboxed.kernel", str(cmd_read), str(answer_write),
                 str(os.getpid())],
                cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, pass_fds=(cmd_read, answer_write),
                start_new_session=True)
        except BaseException:
            for fd in (self.cmd, self.answers):
                os.close(fd)
            raise
        finally:
            os.close(cmd_read)
            os.close(answer_write)
        os.set_blocking(self.cmd, False)
        os.set_blocking(self.answers, False)
        # Readable when the kernel has exited, even while children it forked hold its pipes.
        try:
            self.exited = os.pidfd_open(self.proc.pid)
        except (AttributeError, OSError):
            self.exited = None
        self.buffer = bytearray()
        self.seq = 0
        self.last_size = 0

    def ready(self, deadline: float) -> None:
        """Wait for the kernel's shell to be up (its answer 0); :class:`_Died` if it ended
        or said something else, TimeoutError if it said nothing by ``deadline``."""
        if self.receive(deadline).get("ready") is not True:
            raise _Died

    def send(self, code: str, deadline: float) -> None:
        self.seq += 1
        body = json.dumps({"seq": self.seq, "code": code}).encode("utf-8", "replace")
        data = memoryview(kernel.HEADER.pack(len(body)) + body)
        while data:
            left = deadline - time.perf_counter()
            if left <= 0 or not select.select([], [self.cmd], [], left)[1]:
                raise TimeoutError
            try:
                data = data[os.write(self.cmd, data):]
            except BlockingIOError:
                continue
            except OSError:
                raise _Died from None

    def _read(self) -> bool:
        """Read what the pipe holds now; False at its end."""
        while True:
            try:
                chunk = os.read(self.answers, 1 << 20)
            except BlockingIOError:
                return True
            if not chunk:
                return False
            self.buffer += chunk
            if len(self.buffer) > kernel.HEADER.size + MAX_ANSWER:
                raise _Died

    def _answer(self) -> dict | None:
        """The answer in the buffer, if it is all there."""
        if len(self.buffer) < kernel.HEADER.size:
            return None
        (size,) = kernel.HEADER.unpack(self.buffer[:kernel.HEADER.size])
        if size > MAX_ANSWER:
            raise _Died
        end = kernel.HEADER.size + size
        if len(self.buffer) < end:
            return None
        if len(self.buffer) > end:  # more than one answer to one cell: not a kernel's
            raise _Died
        try:
            answer = json.loads(bytes(self.buffer[kernel.HEADER.size:end]))
        except Exception:  # noqa: BLE001 - RecursionError, MemoryError: not an answer
            raise _Died from None
        self.buffer.clear()
        self.last_size = size
        if not isinstance(answer, dict) or answer.get("seq") != self.seq:
            raise _Died
        return answer

    def receive(self, deadline: float) -> dict:
        """The answer to the cell sent last; TimeoutError when none came by ``deadline``,
        :class:`_Died` when the kernel ended or sent something that is not that answer."""
        watched = [self.answers] + ([self.exited] if self.exited is not None else [])
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError
            ready = select.select(watched, [], [], left)[0]
            if not ready:
                raise TimeoutError
            open_ = self._read()
            answer = self._answer()
            if answer is not None:
                return answer
            if not open_ or (self.exited is not None and self.exited in ready):
                raise _Died

    def interrupt(self) -> None:
        """Interrupt the cell, as Jupyter does: the kernel's process group (a ``!`` command's
        process with it)."""
        try:
            os.killpg(self.proc.pid, signal.SIGINT)
        except OSError:
            pass

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the kernel leads its group
        except OSError:
            pass
        self.proc.kill()
        self.proc.wait()
        for fd in (self.cmd, self.answers, self.exited):
            try:
                if fd is not None:
                    os.close(fd)
            except OSError:
                pass


class _Runner:
    def __init__(self, nb: dict, folder: Path, cell_timeout: int, first_probe: int):
        self.nb, self.folder, self.cell_timeout = nb, folder, cell_timeout
        self.first_probe = first_probe
        self.kernel: _Kernel | None = None
        self.skip: set[int] = set()
        #: Cells that ran the first time but not when the notebook was run again.
        self.failed_again: dict[int, str] = {}
        self.restarts = 0
        self.gave_up = False  # replaced too often: the notebook's cells are not run again
        #: No new kernel would start (a file the notebook wrote stands in for a module the
        #: kernel imports): none is tried again.
        self.unstartable = False
        self.deadline = float("inf")
        self.stored = 0

    def start(self) -> bool:
        """A new kernel, its shell up; False (and no kernel) when none started."""
        try:
            self.kernel = _Kernel(self.folder)
            self.kernel.ready(time.perf_counter() + STARTUP_SECONDS)
            return True
        except (_Died, TimeoutError, OSError):
            self.stop()
            return False

    def stop(self):
        if self.kernel is not None:
            self.kernel.stop()
            self.kernel = None

    def limit(self) -> float:
        """Seconds the next notebook cell may run: the cell limit, or less near the deadline."""
        return min(self.cell_timeout, self.deadline - time.perf_counter())

    def _execute(self, index: int, cell: dict, limit: float) -> str:
        """Run one cell in the kernel: "ok", "timeout" (not finished in ``limit`` seconds,
        interrupted, and the kernel answered after), "hung" (no answer to the interrupt within
        INTERRUPT_GRACE seconds) or "died" (no kernel, the kernel ended, or it answered with
        something that is not an answer). The cell's outputs are the answer's, or none."""
        deadline = time.perf_counter() + max(1.0, limit)
        cell["outputs"], cell["execution_count"] = [], None
        if self.kernel is None:
            return "died"
        source = _source(cell)
        if index < self.first_probe and _is_otter_init(source):
            source = _NO_OTTER
        try:
            self.kernel.send(source, deadline)
            answer = self.kernel.receive(deadline)
            outcome = "ok"
        except TimeoutError:
            self.kernel.interrupt()
            try:
                answer = self.kernel.receive(time.perf_counter() + INTERRUPT_GRACE)
                outcome = "timeout"
            except TimeoutError:
                return "hung"
            except _Died:
                return "died"
        except _Died:
            return "died"
        outputs = answer.get("outputs")
        outputs = [o for o in map(_clean_output, outputs) if o] \
            if isinstance(outputs, list) else []
        size = self.kernel.last_size
        if self.stored + size > MAX_STORED:
            # past the budget only the errors are kept, without tracebacks: feedback names them
            outputs = [{**o, "traceback": []} for o in outputs
                       if o["output_type"] == "error"][:kernel.MAX_ERRORS] + [
                {"output_type": "stream", "name": "stderr",
                 "text": "[the grader kept no more of this notebook's outputs]\n"}]
        else:
            self.stored += size
        cell["outputs"] = outputs
        count = answer.get("execution_count")
        cell["execution_count"] = count if isinstance(count, int) and \
            not isinstance(count, bool) else None
        return outcome

    def run_cell(self, index: int, cell: dict, limit: float | None = None) -> str:
        """Execute one cell within ``limit`` seconds (the cell limit if None); return "ok",
        "timeout" (past the cell limit), "deadline" (stopped to leave the probes their time)
        or "died". The kernel is usable after, if one could be started."""
        limit = self.cell_timeout if limit is None else limit
        outcome = self._execute(index, cell, limit)
        if outcome == "ok":
            return "ok"
        self.skip.add(index)
        late = "timeout" if limit >= self.cell_timeout else "deadline"
        if outcome != "timeout":  # the kernel is gone or will not answer: a new one
            self.restart(index)
        return "died" if outcome == "died" else late

    def _new_kernel(self):
        self.stop()
        self.restarts += 1
        if self.unstartable:
            return
        if os.environ.get("POOLSIDE_SANDBOXED") == "1":
            # Whatever the old kernel left (a child in a session of its own could write into
            # the new kernel's pipes): in a sandbox every other process of this uid is the
            # student's, and the sandbox's own first process is not this uid's to kill.
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
        for attempt in range(START_TRIES):
            if self.start():
                return
            time.sleep(0.5 * (attempt + 1))
        self.unstartable = True

    def restart(self, upto: int):
        """A new kernel with every cell before ``upto`` run again, except the skipped ones
        (none once the kernel was replaced MAX_RESTARTS times: the probes then get a new
        kernel as it is, rather than a notebook that keeps killing its kernels)."""
        self._new_kernel()
        if self.restarts > MAX_RESTARTS:
            self.gave_up = True
            return
        # The notebook's cells rebuild its state (without the grader's inputs on disk, as
        # the first time); probes that ran are not run again.
        hidden = _take_inputs(self.folder)
        try:
            self._replay(upto)
        finally:
            if hidden:
                _put_back(self.folder, hidden)

    def _replay(self, upto: int):
        for index in range(min(upto, self.first_probe)):
            cell = self.nb["cells"][index]
            if cell.get("cell_type") == "code" and index not in self.skip:
                if self.limit() < 1 or self.kernel is None:
                    return  # out of time, or no kernel: the probes get what there is
                before = cell["outputs"], cell["execution_count"]
                outcome = self._execute(index, cell, self.limit())
                if outcome != "ok":
                    # hung or killed this time: left out too, with what it showed the first
                    # time and a note
                    cell["outputs"], cell["execution_count"] = before
                    cell["outputs"] = [*cell["outputs"], _note(NOTES["failed again"])]
                    self.failed_again[index] = "died" if outcome == "died" else "timeout"
                    self.skip.add(index)
                    self._new_kernel()
                    if self.restarts > MAX_RESTARTS:
                        self.gave_up = True
                        return
                    return self._replay(upto)


def _source(cell: dict) -> str:
    return _text(cell.get("source", ""))


def _undumpable() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0)  # PR_SET_DUMPABLE: no ptrace, no /proc/PID/fd or mem
    except (OSError, AttributeError):
        pass


def _take_inputs(folder: Path) -> dict[str, bytes]:
    """The inputs' files, read into memory and removed from the folder."""
    taken = {}
    for suffix in (".json", ".npz"):
        path = folder / f"inputs{suffix}"
        try:
            taken[path.name] = wire.read_regular(path)
            path.unlink()
        except OSError:  # removed or replaced by the notebook: its probes will say what they miss
            pass
    return taken


def _put_back(folder: Path, taken: dict[str, bytes]) -> None:
    for name in sorted(taken, key=lambda n: n.endswith(".json")):  # the .json last
        try:
            wire.write_new(folder, name, taken[name])
        except OSError:  # the notebook put a folder where the inputs go: its probes miss them
            pass


#: A cell Otter Assign writes after each question to run its public checks.
_PUBLIC_CHECK = re.compile(r"grader\.check\(\s*[\"'][\w.-]+[\"']\s*\)")

#: The cell Otter Assign puts first: it imports Otter (a second or so and 100 MB) for the
#: public checks, which grading does not run.
_OTTER_INIT = re.compile(r"(\s*#[^\n]*\n)*\s*import otter\s*\n\s*grader\s*=\s*"
                         r"otter\.Notebook\([^()\n]*\)\s*")
#: What runs instead: a ``grader`` whose methods do nothing, so that a ``grader.check`` left
#: in a cell with other code does not stop that code.
_NO_OTTER = "from sandboxed.kernel import ChecksOff as _ChecksOff\ngrader = _ChecksOff()\n"


def _is_otter_init(source: str) -> bool:
    return len(source) < 2_000 and _OTTER_INIT.fullmatch(source) is not None


def _not_graded(cell) -> bool:
    """A cell grading does not run: a public check (``grader.check("q3")``), or a cell tagged
    ``otter_ignore`` as Otter's graders skip it (the export cell: it writes the submission)."""
    if cell.get("cell_type") != "code":
        return False
    tags = (cell.get("metadata") or {}).get("tags") or []
    source = _source(cell)
    return (isinstance(tags, list) and "otter_ignore" in tags) or \
        (len(source) < 2_000 and _PUBLIC_CHECK.fullmatch(source.strip()) is not None)


#: What the executed notebook says under a cell grading stopped or did not run.
NOTES = {
    "timeout": "this cell ran past its time limit ({limit} s) and was stopped",
    "deadline": "this cell was stopped: the notebook had used up its time",
    "died": "this cell stopped the kernel; the notebook was run again without it",
    "died, given up": "this cell stopped the kernel, which had been replaced too often: the "
                      "notebook was not run again",
    "died, no kernel": "this cell stopped the kernel, and no new kernel would start",
    "failed again": "this cell stopped the kernel or ran too long when the notebook was run "
                    "again (after a later cell stopped it), and was left out",
    "skipped": "not run: the notebook had used up its time",
    "abandoned": "not run: the cells before it had stopped the kernel too often",
    "no kernel": "not run: no new kernel would start (a file the notebook wrote may stand in "
                 "for a module the kernel imports)",
    "not run": "not run while grading (the public checks and the export run only for you)",
}


def _note(text: str) -> dict:
    return {"output_type": "stream", "name": "stderr", "text": f"[grading: {text}]\n"}


def _code_cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source}


def _text(value) -> str:
    return "".join(map(str, value)) if isinstance(value, list) else str(value)


def _clean_output(output) -> dict | None:
    """An output of the kernel's answer as a notebook holds one, built from the fields a
    notebook has (the answer is the student's code's own claim); None if it is no output."""
    if not isinstance(output, dict):
        return None
    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name")
        return {"output_type": kind, "name": name if name in ("stdout", "stderr") else "stdout",
                "text": _text(output.get("text", ""))}
    if kind in ("display_data", "execute_result"):
        data = output.get("data")
        data = {str(k): v for k, v in data.items() if isinstance(v, str)} \
            if isinstance(data, dict) else {}
        clean = {"output_type": kind, "data": data, "metadata": {}}
        if kind == "execute_result":
            count = output.get("execution_count")
            clean["execution_count"] = count if type(count) is int else None
        return clean
    if kind == "error":
        traceback = output.get("traceback")
        return {"output_type": kind, "ename": str(output.get("ename")),
                "evalue": str(output.get("evalue")),
                "traceback": [str(t) for t in traceback] if isinstance(traceback, list)
                else []}
    return None


def _clean_cell(cell) -> dict:
    """A cell of the submitted notebook as the executed one holds it: its kind, source and
    tags (what grading reads), no saved outputs and nothing else the upload carried."""
    cell = cell if isinstance(cell, dict) else {}
    kind = cell.get("cell_type")
    kind = kind if kind in ("code", "markdown", "raw") else "raw"
    tags = (cell.get("metadata") or {}).get("tags") if isinstance(cell.get("metadata"),
                                                                  dict) else None
    tags = [str(t) for t in tags][:20] if isinstance(tags, list) else []
    clean = {"cell_type": kind, "metadata": {"tags": tags} if tags else {},
             "source": _text(cell.get("source", ""))}
    if isinstance(cell.get("id"), str) and len(cell["id"]) <= 64:
        clean["id"] = cell["id"]
    if kind == "code":
        clean.update(outputs=[], execution_count=None)
    return clean


def _read_notebook(path: Path) -> dict:
    """The submitted notebook, rebuilt from its cells' kinds, sources and tags."""
    nb = wire.parse_notebook(path.read_bytes())
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("the notebook's cells are not a list of cells")
    return {"cells": [_clean_cell(c) for c in nb["cells"]], "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"},
                         "language_info": {"name": "python"}}}


def _only_the_interpreters_imports(folder: Path) -> None:
    """Take the folder (the notebook's to write) off this process's import path: whatever it
    imports from now on comes from the interpreter's read-only libraries."""
    import hashlib  # noqa: F401 - every module this process uses is imported by now

    here = str(folder)
    sys.path[:] = [p for p in sys.path if p not in ("", ".")
                   and not os.path.abspath(p).startswith(here)]
    sys.path_importer_cache.clear()


def main(folder: Path) -> int:
    _undumpable()
    _only_the_interpreters_imports(folder)
    plan = wire.load(folder, "plan")
    taken = _take_inputs(folder)
    nb = _read_notebook(folder / plan["notebook"])
    cells = nb["cells"]
    probes = sorted(plan["probes"], key=lambda e: e["probe"] not in WITHOUT_INPUTS)
    first_probe = len(cells)
    for entry in probes:
        cells.append(_code_cell(
            f"import sandboxed.probes\nsandboxed.probes.run({entry['id']!r}, {str(folder)!r})"))
    runner = _Runner(nb, folder, int(plan["cell_timeout"]), first_probe)
    # The public checks are the student's own help and carry no points, and the export cell
    # writes files only the student wants: not run here, not rerun on a replay, and their time
    # is the notebook's and the probes'.
    not_run = {i for i, c in enumerate(cells[:first_probe]) if _not_graded(c)}
    runner.skip |= not_run
    report = {"cells": {}, "probes": {}, "restarts": 0, "completed": False, "timings": {}}
    started = time.perf_counter()
    if plan.get("cells_until") is not None:
        runner.deadline = started + float(plan["cells_until"])
    if not runner.start():  # before any of the notebook's code ran: the grader's problem
        report["error"] = "the kernel did not start"
        _dump_report(report, folder)
        return 3
    try:
        for index, cell in enumerate(cells):
            if cell.get("cell_type") != "code" or index in not_run:
                continue
            if index < first_probe and (runner.gave_up or runner.kernel is None):
                report["cells"][str(index)] = "abandoned"
                cell["outputs"] = [_note(NOTES["abandoned" if runner.gave_up
                                               else "no kernel"])]
                continue
            if index < first_probe and runner.limit() < 1:
                report["cells"][str(index)] = "skipped"  # the probes' reserved time
                cell["outputs"] = [_note(NOTES["skipped"])]
                continue
            if index >= first_probe and taken and \
                    probes[index - first_probe]["probe"] not in WITHOUT_INPUTS:
                _put_back(folder, taken)
                taken = {}
            began = time.perf_counter()
            try:
                outcome = runner.run_cell(index, cell, runner.limit() if index < first_probe
                                          else min(runner.cell_timeout, PROBE_SECONDS))
            except Exception:  # noqa: BLE001 - whatever the kernel did, the run goes on
                outcome = "died"
                runner.skip.add(index)
                try:
                    runner.restart(index)
                except Exception:  # noqa: BLE001 - the next cells find no kernel and say so
                    runner.stop()
            report["timings"][str(index)] = round(time.perf_counter() - began, 3)
            if index >= first_probe:
                outcome = "timeout" if outcome == "deadline" else outcome
                probe_id = probes[index - first_probe]["id"]
                report["probes"][probe_id] = outcome
                print(wire.DIGEST, probe_id, wire.digest(folder / "out", probe_id), flush=True)
            elif outcome != "ok":
                report["cells"][str(index)] = outcome
                note = outcome if outcome != "died" else "died, given up" if runner.gave_up \
                    else "died, no kernel" if runner.kernel is None else "died"
                cell["outputs"].append(_note(NOTES[note].format(limit=runner.cell_timeout)))
            report["cells"].update({str(i): o for i, o in runner.failed_again.items()})
            report["restarts"], report["gave_up"] = runner.restarts, runner.gave_up
            _dump_report(report, folder)
        report["completed"] = True
    finally:
        report["seconds"] = time.perf_counter() - started
        runner.stop()
        _dump_report(report, folder)
        del cells[first_probe:]
        # Cells not run here keep no output the student saved: a stale "All test cases
        # passed!" under a question the grader failed would read as this run's.
        for index in not_run:
            cells[index]["outputs"] = [_note(NOTES["not run"])]
        try:
            data = json.dumps(nb, ensure_ascii=False).encode("utf-8", "replace")
            wire.write_new(folder / "out", "executed.ipynb", data)
            print(wire.RUN_DIGEST, "executed.ipynb", wire.digest_of((data,)), flush=True)
        except (OSError, ValueError, RecursionError):  # the notebook broke its out/ folder
            pass
    return 0


def _dump_report(report: dict, folder: Path) -> None:
    try:
        print(wire.RUN_DIGEST, "execution", wire.dump(report, folder / "out", "execution"),
              flush=True)
    except OSError:  # the notebook broke its out/ folder: the grader finds no report
        pass


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve()))
