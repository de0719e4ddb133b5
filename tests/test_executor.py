"""The student's side's executor (``sandboxed.execute`` and its kernel), run without a sandbox:
cells run in order with a notebook's semantics, and a cell that hangs, is interrupted or kills
its kernel costs that cell only."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from poolside.grading.sandboxed import kernel, wire

SANDBOXED = Path(__file__).resolve().parents[1] / "src" / "poolside" / "grading" / "sandboxed"


def _lay_out(tmp_path: Path, sources: list[str], cell_timeout: int = 30,
             cells_until: float | None = None) -> list[str]:
    """A folder as the runner lays it out, for a notebook of ``sources`` (no probes); the
    executor's command."""
    shutil.copytree(SANDBOXED, tmp_path / "sandboxed",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "out").mkdir()
    (tmp_path / "home").mkdir()
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": source} for source in sources]
    (tmp_path / "nb.ipynb").write_text(json.dumps(
        {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    wire.dump({"notebook": "nb.ipynb", "cell_timeout": cell_timeout, "probes": [],
               "cells_until": cells_until}, tmp_path, "plan")
    return [sys.executable, "-m", "sandboxed.execute", str(tmp_path)]


def _run(tmp_path: Path, sources: list[str], cell_timeout: int = 30,
         cells_until: float | None = None) -> tuple[dict, list[dict]]:
    """Execute a notebook of ``sources`` (no probes); return the execution report and the
    executed notebook's cells."""
    subprocess.run(_lay_out(tmp_path, sources, cell_timeout, cells_until), cwd=tmp_path,
                   check=True, timeout=120, capture_output=True)
    report = wire.load(tmp_path / "out", "execution")
    executed = json.loads((tmp_path / "out" / "executed.ipynb").read_text())
    return report, executed["cells"]


def _text(cell: dict) -> str:
    return "".join(o.get("text", "") for o in cell["outputs"] if o["output_type"] == "stream")


def test_cells_run_in_order_with_a_notebooks_outputs(tmp_path):
    report, cells = _run(tmp_path, [
        "x = 41\nprint('x is', x)",
        "x + 1",
        "from IPython.display import display\ndisplay({'a': 1})",
        "import sys\nprint('oops', file=sys.stderr)\n1 / 0",
        "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()",
        "len(plt.get_fignums())",
    ])
    assert report["completed"] and report["cells"] == {} and report["restarts"] == 0
    assert _text(cells[0]) == "x is 41\n"
    result = cells[1]["outputs"][0]
    assert result["output_type"] == "execute_result" and result["data"]["text/plain"] == "42"
    assert cells[1]["execution_count"] == 2
    assert cells[2]["outputs"][0]["output_type"] == "display_data"
    kinds = [o["output_type"] for o in cells[3]["outputs"]]
    assert kinds == ["stream", "error"] and cells[3]["outputs"][1]["ename"] == "ZeroDivisionError"
    # a cell's figures are listed and closed when it ends, as Jupyter's inline backend does
    figure = cells[4]["outputs"][-1]["data"]["text/plain"]
    assert "Figure" in figure and "not drawn" in figure
    assert cells[5]["outputs"][0]["data"]["text/plain"] == "0"


def test_otters_set_up_cell_is_not_run_and_a_check_left_in_a_cell_does_nothing(tmp_path):
    report, cells = _run(tmp_path, [
        '# Initialize Otter\nimport otter\ngrader = otter.Notebook("nb.ipynb")',
        "import sys\nprint('otter' in sys.modules)",
        'y = 2\ngrader.check("q1")\nprint(y)',
    ])
    assert _text(cells[1]) == "False\n"
    assert _text(cells[2]) == "2\n" and not any(o["output_type"] == "error"
                                               for o in cells[2]["outputs"])


def test_a_cell_past_its_limit_is_interrupted_and_the_next_cells_run(tmp_path):
    report, cells = _run(tmp_path, ["a = 1", "import time\nwhile True: time.sleep(0.01)",
                                    "print(a + 1)"], cell_timeout=2)
    assert report["cells"] == {"1": "timeout"} and report["restarts"] == 0
    assert _text(cells[2]) == "2\n"


def test_a_cell_that_kills_its_kernel_is_left_out_of_a_replay(tmp_path):
    report, cells = _run(tmp_path, ["a = 1", "import os\nos._exit(3)", "print(a + 1)"])
    assert report["cells"] == {"1": "died"} and report["restarts"] == 1
    assert _text(cells[2]) == "2\n"
    assert "stopped the kernel" in _text(cells[1])


@pytest.mark.slow
def test_a_cell_that_ignores_its_interrupt_gets_a_new_kernel(tmp_path):
    report, cells = _run(tmp_path, [
        "a = 1",
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: pass",
        "print(a + 1)"], cell_timeout=2)
    assert report["cells"] == {"1": "timeout"} and report["restarts"] == 1
    assert _text(cells[2]) == "2\n"


def test_cells_past_the_notebooks_time_are_skipped(tmp_path):
    report, cells = _run(tmp_path, ["import time\ntime.sleep(3)", "print('late')"],
                         cell_timeout=30, cells_until=2)
    assert report["cells"] == {"0": "deadline", "1": "skipped"}
    assert _text(cells[1]) == "[grading: not run: the notebook had used up its time]\n"
    assert "[grading: this cell was stopped" in _text(cells[0])


def test_an_answer_that_is_not_a_frame_counts_as_a_dead_kernel(tmp_path):
    # The kernel is the student's process: what it writes to the grader's pipe is a claim.
    report, cells = _run(tmp_path, [
        "a = 1",
        "import os\nfor fd in range(3, 20):\n    try:\n        os.write(fd, b'\\xff' * 16)\n"
        "    except OSError:\n        pass\nimport time\ntime.sleep(1)",
        "print(a + 1)"])
    assert report["cells"].get("1") == "died" and _text(cells[2]) == "2\n"


_FRAME = ("import os, struct, sys\n"
          "def frame(body):\n"
          "    os.write(int(sys.argv[2]), struct.pack('>Q', len(body)) + body)\n")


def test_an_answer_that_breaks_the_json_parser_costs_its_cell_only(tmp_path):
    report, cells = _run(tmp_path, ["a = 1", _FRAME + "frame(b'[' * 100000)",
                                    "print(a + 1)"])
    assert report["completed"] and report["cells"] == {"1": "died"}
    assert _text(cells[2]) == "2\n"


def test_a_kernel_whose_child_holds_its_pipes_is_seen_to_die_at_once(tmp_path):
    report, cells = _run(tmp_path, [
        "a = 1", "import os, time\nif os.fork() == 0:\n    time.sleep(60)\nos._exit(3)",
        "print(a + 1)"], cell_timeout=30)
    assert report["cells"] == {"1": "died"} and _text(cells[2]) == "2\n"
    assert report["timings"]["1"] < 5


def test_a_notebook_that_keeps_killing_its_kernel_is_abandoned_not_fatal(tmp_path):
    report, cells = _run(tmp_path, ["import signal\nsignal.alarm(2)"] +
                         ["import time\ntime.sleep(3)"] * 5, cell_timeout=30)
    assert report["completed"] and report["restarts"] == 4
    assert "abandoned" in report["cells"].values()


def test_a_cell_cannot_replace_how_cells_are_run(tmp_path):
    report, cells = _run(tmp_path, ["get_ipython().run_cell = lambda *a, **k: None",
                                    "print('still run')"])
    assert report["cells"] == {} and _text(cells[1]) == "still run\n"


def test_a_cells_output_is_kept_within_its_budget_and_honest_habits_work(tmp_path):
    report, cells = _run(tmp_path, [
        "import sys\nfor i in range(100):\n    sys.stdout.write('x' * 2**20)\n"
        "    sys.stderr.write('y')",
        "sys.stdout.buffer.write('é\\n'.encode())\nexit()\nprint('after exit')"])
    assert report["cells"] == {}
    kept = sum(len(o.get("text", "")) for o in cells[0]["outputs"])
    assert kept < 1_100_000 and "cut" in cells[0]["outputs"][-1]["text"]
    assert _text(cells[1]) == "é\nafter exit\n"
    assert not [o for o in cells[1]["outputs"] if o["output_type"] == "error"]


def test_feedback_names_the_line_of_a_cell_that_raised(tmp_path):
    from poolside.grading import cells

    _, executed = _run(tmp_path, [
        "def f(x):\n    return x / 0\n",
        "# a comment\na = 1\nf(a)\n",
        "x = 1\ny = (\n",
        "def g(x)\n    return 1\n",
    ])
    said = [c.describe() for c in cells.read({"cells": executed})]
    assert said == [
        "The cell `a = 1` raised ZeroDivisionError: division by zero (line 3: `f(a)`; in `f`, "
        "line 2 of its cell: `return x / 0`).",
        "The cell `x = 1` raised SyntaxError: incomplete input (line 2: `y = (`).",
        "The cell `def g(x)` raised SyntaxError: expected ':' (line 1).",
    ]


def test_a_cell_that_fails_when_run_again_keeps_its_first_outputs_and_says_so(tmp_path):
    report, cells = _run(tmp_path, [
        "import os\nif os.path.exists('ran'):\n    os._exit(1)\nopen('ran', 'w').close()\n"
        "print('first run')",
        "import os\nos._exit(3)",
        "print('after')"])
    assert report["cells"] == {"0": "died", "1": "died"}
    assert "first run" in _text(cells[0]) and "when the notebook was run again" in \
        _text(cells[0])
    assert _text(cells[2]) == "after\n"


def test_a_kernel_that_cannot_start_is_the_graders_problem_not_the_notebooks(tmp_path):
    command = _lay_out(tmp_path, ["print('never')"])
    (tmp_path / "IPython.py").write_text("raise ImportError('a broken environment')\n")
    done = subprocess.run(command, cwd=tmp_path, timeout=120, capture_output=True)
    assert done.returncode == 3
    assert wire.load(tmp_path / "out", "execution")["error"] == "the kernel did not start"


def test_the_kernel_ends_with_the_executor(tmp_path):
    import os
    import signal
    import time

    command = _lay_out(tmp_path, ["import os, time\nopen('pid', 'w').write(str(os.getpid()))\n"
                                  "time.sleep(600)"], cell_timeout=600)
    executor = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            if (tmp_path / "pid").exists() and (tmp_path / "pid").read_text():
                break
            time.sleep(0.1)
        kernel = int((tmp_path / "pid").read_text())
        executor.send_signal(signal.SIGKILL)
        executor.wait()
        for _ in range(50):
            try:
                os.kill(kernel, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.kill(kernel, signal.SIGKILL)
            raise AssertionError("the kernel outlived its executor")
    finally:
        executor.kill()


def test_every_kind_of_output_counts_against_a_cells_budget(tmp_path):
    report, cells = _run(tmp_path, [
        "from IPython.display import display\nfor i in range(600):\n    display(i)",
        "display({'text/plain': 'x'}, raw=True, metadata={'m': 'z' * 3_000_000})\nprint('ok')",
        "ip = get_ipython()\nfor i in range(300):\n    try:\n        1 / 0\n"
        "    except ZeroDivisionError:\n        ip.showtraceback()",
        "print('\\U0001F600' * 999_999)",
    ])
    assert report["cells"] == {} and report["restarts"] == 0
    assert len(cells[0]["outputs"]) == 501 and "cut" in cells[0]["outputs"][-1]["text"]
    assert _text(cells[1]) == "ok\n" + kernel.CUT
    assert sum(o["output_type"] == "error" for o in cells[2]["outputs"]) == kernel.MAX_ERRORS
    assert len(_text(cells[3])) == 999_999 + 1


def test_an_answers_outputs_are_rebuilt_from_the_fields_a_notebook_has():
    from poolside.grading.sandboxed.execute import _clean_output

    assert _clean_output({"output_type": "stream", "name": "x", "text": ["a", 1]}) == \
        {"output_type": "stream", "name": "stdout", "text": "a1"}
    assert _clean_output({"output_type": "execute_result", "execution_count": "x",
                          "data": {"text/plain": "7", "bad": {"deep": [1]}},
                          "metadata": {"huge": [{}] * 10}, "extra": 1}) == \
        {"output_type": "execute_result", "data": {"text/plain": "7"}, "metadata": {},
         "execution_count": None}
    assert _clean_output({"output_type": "error", "ename": {"x": 1}, "evalue": 2,
                          "traceback": "no"}) == \
        {"output_type": "error", "ename": "{'x': 1}", "evalue": "2", "traceback": []}
    assert _clean_output({"output_type": "update_display_data"}) is None
    assert _clean_output([1]) is None


def test_the_executor_imports_nothing_from_the_notebooks_folder(tmp_path, monkeypatch):
    import importlib.util

    from poolside.grading.sandboxed.execute import _only_the_interpreters_imports

    (tmp_path / "planted_by_a_cell.py").write_text("x = 1\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path), "", *sys.path])
    assert importlib.util.find_spec("planted_by_a_cell") is not None
    _only_the_interpreters_imports(tmp_path)
    assert importlib.util.find_spec("planted_by_a_cell") is None
    assert "hashlib" in sys.modules


def test_a_notebook_that_breaks_what_starts_a_kernel_costs_only_its_own_cells(tmp_path):
    report, cells = _run(tmp_path, [
        "open('IPython.py', 'w').write('raise ImportError(\"shadowed\")')",
        "import os\nos._exit(3)",
        "print('never')"])
    assert report["completed"] and report["cells"] == {"1": "died", "2": "abandoned"}
    assert "no new kernel would start" in _text(cells[1]) + _text(cells[2])
    assert "run again" not in _text(cells[1]) and report["timings"]["1"] < 30


def test_a_long_traceback_keeps_its_first_and_last_frames():
    frames = ["Cell In[3], line 2"] + ["x" * 4_000] * 20 + ["KeyError: 'mu'"]
    cut = kernel._cut_traceback(frames)
    assert cut[0] == frames[0] and cut[-1] == frames[-1] and "cut by the grader" in "".join(cut)
    assert sum(map(len, cut)) <= kernel.TRACEBACK_CHARS + 100
