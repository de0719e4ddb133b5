"""Execute a submission and its probes: ``python -m sandboxed.execute FOLDER``.

Runs inside the sandbox, as the student's code does. ``FOLDER`` holds the notebook, the
grader's ``plan`` and ``inputs`` (:mod:`.wire` records) and an ``out/`` folder for reports.

Cells run one by one in a ``python3`` kernel, whatever kernel the notebook names. A cell that
runs past the plan's cell limit is interrupted; a kernel that dies (``os._exit``, a crash) or
ignores the interrupt is replaced, and the cells before are run again without the ones that
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

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError
from nbclient.util import run_sync

from . import wire

__all__ = ["main"]

MAX_RESTARTS = 3
#: Probes that need no input run first, before the inputs are back on disk.
WITHOUT_INPUTS = ("fit", "values")
#: Longest a probe's cell may run: its own alarms stop a call at 20 s and a model or fit at
#: 120 s; this bounds one that switched them off, so one hang cannot use the probes' reserve.
PROBE_SECONDS = 130


class _Runner:
    def __init__(self, nb, folder: Path, cell_timeout: int):
        self.nb, self.folder, self.cell_timeout = nb, folder, cell_timeout
        self.client = NotebookClient(nb, kernel_name="python3", timeout=cell_timeout,
                                     interrupt_on_timeout=False, allow_errors=True,
                                     record_timing=False,
                                     resources={"metadata": {"path": str(folder)}})
        self.events: list[dict] = []
        self.skip: set[int] = set()
        self.restarts = 0
        self.deadline = float("inf")
        self.first_probe = len(nb.cells)

    def start(self):
        self.client.reset_execution_trackers()
        if self.client.km is None:
            self.client.km = self.client.create_kernel_manager()
            # Unix sockets in this folder, not TCP: a sandbox may have no network at all (not
            # even loopback), and nothing outside it can connect to the kernel.
            self.client.km.transport = "ipc"
            self.client.km.ip = str(self.folder / "home" / "kernel")
        # The kernel's output goes nowhere: this process's output carries the fingerprints.
        self.client.start_new_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client.start_new_kernel_client()

    def stop(self):
        try:
            self.client._cleanup_kernel()
        except Exception:  # noqa: BLE001 - a dead kernel has nothing left to clean
            pass

    def _responsive(self, index: int) -> bool:
        """Whether the kernel answers again after an interrupt (within 10 s)."""
        original, saved = self.nb.cells[index], self.client.timeout
        self.client.timeout = 10
        try:
            self.client.execute_cell(nbformat.v4.new_code_cell("pass"), index,
                                     store_history=False)
            return True
        except Exception:  # noqa: BLE001 - timed out, died, or worse: replace the kernel
            return False
        finally:
            self.nb.cells[index] = original
            self.client.timeout = saved

    def limit(self) -> float:
        """Seconds the next notebook cell may run: the cell limit, or less near the deadline."""
        return min(self.cell_timeout, self.deadline - time.perf_counter())

    def run_cell(self, index: int, cell, limit: float | None = None) -> str:
        """Execute one cell within ``limit`` seconds (the cell limit if None); return "ok",
        "timeout" (past the cell limit), "deadline" (stopped to leave the probes their time)
        or "died". The kernel is usable after."""
        limit = self.cell_timeout if limit is None else limit
        self.client.timeout = max(1, int(limit))
        try:
            self.client.execute_cell(cell, index)
            return "ok"
        except CellTimeoutError:
            outcome = "timeout" if limit >= self.cell_timeout else "deadline"
            try:
                run_sync(self.client.km.interrupt_kernel)()
            except Exception:  # noqa: BLE001 - a kernel that cannot be interrupted is replaced
                pass
        except Exception:  # noqa: BLE001 - DeadKernelError, or a kernel too broken to answer
            outcome = "died"
        self.skip.add(index)
        if outcome in ("timeout", "deadline") and self._responsive(index):
            return outcome
        self.restart(index)
        return outcome

    def _new_kernel(self):
        self.stop()
        self.restarts += 1
        if self.restarts > MAX_RESTARTS:
            raise RuntimeError("the kernel had to be replaced too often")
        self.start()

    def restart(self, upto: int):
        """A new kernel with every cell before ``upto`` run again, except the skipped ones."""
        self._new_kernel()
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
            cell = self.nb.cells[index]
            if cell.cell_type == "code" and index not in self.skip:
                if self.limit() < 1:
                    return  # out of time: the probes get the kernel as it is
                self.client.timeout = max(1, int(self.limit()))
                try:
                    self.client.execute_cell(cell, index)
                except Exception:  # noqa: BLE001 - hung or killed again: leave it out too
                    self.skip.add(index)
                    self._new_kernel()
                    return self._replay(upto)


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
            taken[path.name] = path.read_bytes()
            path.unlink()
        except OSError:  # removed by the notebook: its probes will say what they miss
            pass
    return taken


def _put_back(folder: Path, taken: dict[str, bytes]) -> None:
    for name in sorted(taken, key=lambda n: n.endswith(".json")):  # the .json last
        tmp = folder / f".{name}.tmp"
        tmp.write_bytes(taken[name])
        os.replace(tmp, folder / name)


#: A cell Otter Assign writes after each question to run its public checks.
_PUBLIC_CHECK = re.compile(r"grader\.check\(\s*[\"'][\w.-]+[\"']\s*\)")


def _not_graded(cell) -> bool:
    """A cell grading does not run: a public check (``grader.check("q3")``), or a cell tagged
    ``otter_ignore`` as Otter's graders skip it (the export cell: it writes the submission)."""
    if cell.cell_type != "code":
        return False
    tags = (cell.get("metadata") or {}).get("tags") or []
    source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
    return (isinstance(tags, list) and "otter_ignore" in tags) or \
        _PUBLIC_CHECK.fullmatch(source.strip()) is not None


def main(folder: Path) -> int:
    _undumpable()
    plan = wire.load(folder, "plan")
    taken = _take_inputs(folder)
    nb = nbformat.read(folder / plan["notebook"], as_version=4)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    probes = sorted(plan["probes"], key=lambda e: e["probe"] not in WITHOUT_INPUTS)
    first_probe = len(nb.cells)
    for entry in probes:
        nb.cells.append(nbformat.v4.new_code_cell(
            f"import sandboxed.probes\nsandboxed.probes.run({entry['id']!r}, {str(folder)!r})"))
    runner = _Runner(nb, folder, int(plan["cell_timeout"]))
    runner.first_probe = first_probe
    # The public checks are the student's own help and carry no points, and the export cell
    # writes files only the student wants: not run here, not rerun on a replay, and their time
    # is the notebook's and the probes'.
    not_run = {i for i, c in enumerate(nb.cells[:first_probe]) if _not_graded(c)}
    runner.skip |= not_run
    report = {"cells": {}, "probes": {}, "restarts": 0, "completed": False}
    started = time.perf_counter()
    if plan.get("cells_until") is not None:
        runner.deadline = started + float(plan["cells_until"])
    runner.start()
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or index in not_run:
                continue
            if index < first_probe and runner.limit() < 1:
                report["cells"][str(index)] = "skipped"  # the probes' reserved time
                continue
            if index >= first_probe and taken and \
                    probes[index - first_probe]["probe"] not in WITHOUT_INPUTS:
                _put_back(folder, taken)
                taken = {}
            outcome = runner.run_cell(index, cell, runner.limit() if index < first_probe
                                      else min(runner.cell_timeout, PROBE_SECONDS))
            if index >= first_probe:
                outcome = "timeout" if outcome == "deadline" else outcome
                probe_id = probes[index - first_probe]["id"]
                report["probes"][probe_id] = outcome
                print(wire.DIGEST, probe_id, wire.digest(folder / "out", probe_id), flush=True)
            elif outcome != "ok":
                report["cells"][str(index)] = outcome
            report["restarts"] = runner.restarts
            wire.dump(report, folder / "out", "execution")
        report["completed"] = True
    finally:
        report["seconds"] = time.perf_counter() - started
        runner.stop()
        wire.dump(report, folder / "out", "execution")
        for cell in nb.cells[first_probe:]:
            cell.outputs = []
        nb.cells = nb.cells[:first_probe]
        # Cells not run here keep no output the student saved: a stale "All test cases
        # passed!" under a question the grader failed would read as this run's.
        for index in not_run:
            nb.cells[index].outputs = []
            nb.cells[index].execution_count = None
        nbformat.write(nb, folder / "out" / "executed.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve()))
