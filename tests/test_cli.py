"""The ``poolside`` command follows Otter's habits and says when nothing was graded."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from poolside.cli import cli
from poolside.progress import Progress


def test_version_is_printed():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("poolside, version ")


def test_python_dash_m_poolside_is_the_same_command():
    done = subprocess.run([sys.executable, "-m", "poolside", "--help"], capture_output=True,
                          text=True)
    assert done.returncode == 0
    assert {"build", "sync", "grade", "run", "gradescope", "demo"} <= set(done.stdout.split())


@pytest.mark.parametrize("command,options", [
    ("run", {"-a", "--autograder"}), ("gradescope", {"-a", "--autograder"}),
    ("grade", {"-a", "--autograder", "-o", "--output", "--out", "-j", "--jobs"}),
    ("build", {"-o", "--output", "--out"}), ("demo", {"-o", "--output", "--out"}),
])
def test_options_are_spelled_as_otter_spells_them(command, options):
    spelled = {opt for param in cli.commands[command].params for opt in param.opts}
    assert options <= spelled


def test_grading_an_empty_folder_exits_2_and_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(cli, ["grade", str(tmp_path / "empty"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "nothing to grade" in result.output


def test_grading_only_files_that_are_not_notebooks_exits_1(built, tmp_path):
    result = CliRunner().invoke(cli, ["grade", str(built["examples"] / "notes.txt"),
                                      "-a", str(built["autograder"]), "-o", str(tmp_path)])
    assert result.exit_code == 1 and "no submission could be graded" in result.output


def test_running_one_file_that_is_not_a_notebook_exits_1_with_the_reason(built):
    result = CliRunner().invoke(cli, ["run", str(built["examples"] / "notes.txt"),
                                      "-a", str(built["autograder"])])
    assert result.exit_code == 1
    assert "not graded (invalid): not a notebook" in result.output
    assert "total" not in result.output  # no table of zeros


def test_progress_is_one_plain_line_per_submission_off_a_terminal():
    lines = []
    with Progress(3, done=1, echo=lines.append) as progress:
        progress.finished({"name": "a.ipynb", "status": "graded", "scores": {"q2": 2, "q3": 4}}, 1)
        progress.finished({"name": "b.txt", "status": "invalid", "scores": {}}, 0)
    assert lines == ["[2/3] a.ipynb: graded, 6 points (1 running, 0 not graded)\n",
                     "[3/3] b.txt: invalid (0 running, 1 not graded)\n"]


def test_progress_on_a_terminal_is_a_live_bar(monkeypatch, capsys):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with Progress(2) as progress:
        assert progress._bar is not None
        progress.finished({"name": "a.ipynb", "status": "graded", "scores": {}}, 0)
    assert "a.ipynb" not in capsys.readouterr().err  # a bar, not lines
