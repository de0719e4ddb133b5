"""The one adjustment to Otter's output (``poolside/otter_zip.py``) fails loudly if Otter
renders its entry point differently."""

from __future__ import annotations

import zipfile

from poolside.otter_zip import OTTER_COMMAND, RUNNER, SETUP


def test_otters_run_autograder_template_still_runs_the_command_we_replace():
    from otter.generate import JINJA_ENV

    rendered = JINJA_ENV.get_template("common/run_autograder").render(
        autograder_dir="/autograder", otter_env_name="otter-env")
    assert OTTER_COMMAND in rendered.splitlines(), rendered


def test_the_built_zip_runs_the_runner_instead_of_otter(built):
    with zipfile.ZipFile(built["autograder"]) as zf:
        run_autograder = zf.read("run_autograder").decode()
        setup = zf.read("setup.sh").decode()
    assert RUNNER in run_autograder.splitlines()
    assert OTTER_COMMAND not in run_autograder
    assert setup.endswith(SETUP)
