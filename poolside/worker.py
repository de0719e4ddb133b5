"""Grade one notebook in this process: ``python -m poolside.worker ZIP NOTEBOOK WORKDIR``.

The batch grader starts one of these per submission, in its own process group and folder,
and kills the group if it overruns. Inside, it runs Otter's Gradescope entry point on a
Gradescope-shaped tree with two additions Otter's ``otter run`` does not offer:

* a per-cell time limit that *interrupts* a runaway cell and goes on with the next one, so an
  infinite loop costs one question instead of the whole submission;
* the executed notebook is saved, so an instructor can see what happened.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from .gradescope import make_tree

__all__ = ["main"]


def _install_cell_time_limit(seconds: int) -> None:
    # Otter builds its ExecutePreprocessor inside grade_notebook from a fresh Config, so the
    # limit is set as the class's default rather than through configuration.
    import nbconvert.preprocessors as preprocessors
    from traitlets import default

    class TimedExecutePreprocessor(preprocessors.ExecutePreprocessor):
        @default("timeout")
        def _default_timeout(self):
            return seconds

        @default("interrupt_on_timeout")
        def _default_interrupt_on_timeout(self):
            return True

    preprocessors.ExecutePreprocessor = TimedExecutePreprocessor


def _save_executed_notebook(target: Path) -> None:
    from otter.run.run_autograder.runners import python_runner

    grade_notebook = python_runner.grade_notebook

    def grade_and_keep(*args, **kwargs):
        results = grade_notebook(*args, **kwargs)
        if getattr(results, "notebook", None) is not None:
            nbformat.write(results.notebook, target)
        return results

    python_runner.grade_notebook = grade_and_keep


def main(autograder: Path, notebook: Path, workdir: Path, cell_timeout: int) -> int:
    from otter.run.run_autograder import main as run_autograder

    from autograder.results import complete

    root = make_tree(autograder, notebook, workdir / "autograder")
    _install_cell_time_limit(cell_timeout)
    _save_executed_notebook(workdir / "executed.ipynb")
    try:
        run_autograder(str(root), otter_run=True, logo=False, print_summary=False)
    finally:
        results = root / "results" / "results.json"
        if results.exists():
            complete(results)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("autograder", type=Path)
    parser.add_argument("notebook", type=Path)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--cell-timeout", type=int, default=300)
    args = parser.parse_args()
    sys.exit(main(args.autograder.resolve(), args.notebook.resolve(), args.workdir.resolve(),
                  args.cell_timeout))
