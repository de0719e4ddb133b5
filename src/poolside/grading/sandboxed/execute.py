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
its probe no longer matches its fingerprint.
What happened is written to ``out/execution`` for the grader.
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


class _Died(Exception):
    """The student's process ended, or answered with something that is not a frame."""


class _Kernel:
    """The student's process (:mod:`.kernel`) and the two pipes to it. Nothing here blocks
    past a deadline, and nothing it sends is trusted: the other end is the student's code."""

    def __init__(self, folder: Path):
        cmd_read, self.cmd = os.pipe()
        self.answers, answer_write = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sandboxed.kernel", str(cmd_read), str(answer_write)],
            cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, pass_fds=(cmd_read, answer_write),
            start_new_session=True)
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

    def send(self, code: str, deadline: float, silent: bool = False) -> None:
        self.seq += 1
        body = json.dumps({"seq": self.seq, "code": code, "silent": silent}
                          ).encode("utf-8", "replace")
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
        try:
            os.kill(self.proc.pid, signal.SIGINT)
        except OSError:
            pass

    def stop(self) -> None:
        for kill in (lambda: os.killpg(self.proc.pid, signal.SIGKILL),
                     lambda: self.proc.kill()):
            try:
                kill()
            except OSError:
                pass
        self.proc.wait()
        for fd in (self.cmd, self.answers, self.exited):
            try:
                if fd is not None:
                    os.close(fd)
            except OSError:
                pass


class _Runner:
    def __init__(self, nb: dict, folder: Path, cell_timeout: int):
        self.nb, self.folder, self.cell_timeout = nb, folder, cell_timeout
        self.kernel: _Kernel | None = None
        self.skip: set[int] = set()
        self.restarts = 0
        self.gave_up = False  # replaced too often: the notebook's cells are not run again
        self.deadline = float("inf")
        self.first_probe = len(nb["cells"])
        self.stored = 0

    def start(self):
        self.kernel = _Kernel(self.folder)

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
        INTERRUPT_GRACE seconds) or "died" (the kernel ended, or answered with something that
        is not an answer)."""
        deadline = time.perf_counter() + max(1.0, limit)
        cell["outputs"], cell["execution_count"] = [], None
        source = _source(cell)
        if index < self.first_probe and _OTTER_INIT.fullmatch(source):
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
        outputs = [o for o in outputs if isinstance(o, dict)] if isinstance(outputs, list) else []
        size = self.kernel.last_size
        if self.stored + size > MAX_STORED:
            outputs = [{"output_type": "stream", "name": "stderr",
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
        or "died". The kernel is usable after."""
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
        if os.environ.get("POOLSIDE_SANDBOXED") == "1":
            # Whatever the old kernel left (a child in a session of its own could write into
            # the new kernel's pipes): in a sandbox every other process of this uid is the
            # student's, and the sandbox's own first process is not this uid's to kill.
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
        self.start()

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
        hidden = _take_inputs(self.folder) if (self.folder / "inputs.json").exists() else {}
        try:
            self._replay(upto)
        finally:
            if hidden:
                _put_back(self.folder, hidden)

    def _replay(self, upto: int):
        for index in range(min(upto, self.first_probe)):
            cell = self.nb["cells"][index]
            if cell.get("cell_type") == "code" and index not in self.skip:
                if self.limit() < 1:
                    return  # out of time: the probes get the kernel as it is
                if self._execute(index, cell, self.limit()) != "ok":
                    # hung or killed again: leave it out too
                    self.skip.add(index)
                    self._new_kernel()
                    if self.restarts > MAX_RESTARTS:
                        self.gave_up = True
                        return
                    return self._replay(upto)


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(map(str, source)) if isinstance(source, list) else str(source)


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


def _not_graded(cell) -> bool:
    """A cell grading does not run: a public check (``grader.check("q3")``), or a cell tagged
    ``otter_ignore`` as Otter's graders skip it (the export cell: it writes the submission)."""
    if cell.get("cell_type") != "code":
        return False
    tags = (cell.get("metadata") or {}).get("tags") or []
    source = _source(cell)
    return (isinstance(tags, list) and "otter_ignore" in tags) or \
        _PUBLIC_CHECK.fullmatch(source.strip()) is not None


#: What the executed notebook says under a cell grading stopped or did not run.
NOTES = {
    "timeout": "this cell ran past its time limit ({limit} s) and was stopped",
    "deadline": "this cell was stopped: the notebook had used up its time",
    "died": "this cell stopped the kernel; the notebook was run again without it",
    "skipped": "not run: the notebook had used up its time",
    "abandoned": "not run: the cells before it had stopped the kernel too often",
    "not run": "not run while grading (the public checks and the export run only for you)",
}


def _note(text: str) -> dict:
    return {"output_type": "stream", "name": "stderr", "text": f"[grading: {text}]\n"}


def _code_cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source}


def main(folder: Path) -> int:
    _undumpable()
    plan = wire.load(folder, "plan")
    taken = _take_inputs(folder)
    nb = json.loads((folder / plan["notebook"]).read_text(encoding="utf-8"))
    cells = nb["cells"]
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise ValueError("the notebook's cells are not a list of cells")
    nb.setdefault("metadata", {})["kernelspec"] = {"name": "python3",
                                                   "display_name": "Python 3",
                                                   "language": "python"}
    probes = sorted(plan["probes"], key=lambda e: e["probe"] not in WITHOUT_INPUTS)
    first_probe = len(cells)
    for entry in probes:
        cells.append(_code_cell(
            f"import sandboxed.probes\nsandboxed.probes.run({entry['id']!r}, {str(folder)!r})"))
    runner = _Runner(nb, folder, int(plan["cell_timeout"]))
    runner.first_probe = first_probe
    # The public checks are the student's own help and carry no points, and the export cell
    # writes files only the student wants: not run here, not rerun on a replay, and their time
    # is the notebook's and the probes'.
    not_run = {i for i, c in enumerate(cells[:first_probe]) if _not_graded(c)}
    runner.skip |= not_run
    report = {"cells": {}, "probes": {}, "restarts": 0, "completed": False, "timings": {}}
    started = time.perf_counter()
    if plan.get("cells_until") is not None:
        runner.deadline = started + float(plan["cells_until"])
    runner.start()
    try:
        for index, cell in enumerate(cells):
            if cell.get("cell_type") != "code" or index in not_run:
                continue
            if index < first_probe and runner.gave_up:
                report["cells"][str(index)] = "abandoned"
                cell["outputs"] = [_note(NOTES["abandoned"])]
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
                runner.stop()
                runner.start()
            report["timings"][str(index)] = round(time.perf_counter() - began, 3)
            if index >= first_probe:
                outcome = "timeout" if outcome == "deadline" else outcome
                probe_id = probes[index - first_probe]["id"]
                report["probes"][probe_id] = outcome
                print(wire.DIGEST, probe_id, wire.digest(folder / "out", probe_id), flush=True)
            elif outcome != "ok":
                report["cells"][str(index)] = outcome
                cell.setdefault("outputs", []).append(_note(NOTES[outcome].format(
                    limit=runner.cell_timeout)))
            report["restarts"] = runner.restarts
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
            cells[index]["execution_count"] = None
        try:
            wire.write_new(folder / "out", "executed.ipynb", json.dumps(nb).encode("utf-8"))
        except (OSError, ValueError):  # the notebook broke its out/ folder: nothing stored
            pass
    return 0


def _dump_report(report: dict, folder: Path) -> None:
    try:
        wire.dump(report, folder / "out", "execution")
    except OSError:  # the notebook broke its out/ folder: the grader finds no report
        pass


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve()))
