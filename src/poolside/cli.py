"""The ``poolside`` command: thin click wrappers over plain ``main(...)`` functions."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .grading.limits import CELL_TIMEOUT, TIMEOUT

#: Where ``poolside build`` puts the zip, relative to the assignment folder one works in.
DEFAULT_ZIP = Path("dist") / "autograder.zip"


#: Options spelled as Otter spells them (``otter run -a ZIP -o DIR``); --out stays an alias.
AUTOGRADER = click.option(
    "-a", "--autograder", type=click.Path(exists=True, path_type=Path), default=None,
    help=f"Autograder zip (default: {DEFAULT_ZIP}).")


def output(help_text: str, required: bool = False):
    return click.option("-o", "--output", "--out", "out", type=click.Path(path_type=Path),
                        default=None, required=required, help=help_text)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="poolside", prog_name="poolside")
def cli():
    """Build, check and grade autograded notebook assignments (folders with poolside.toml)."""


ASSIGNMENT = click.argument("assignment", default=".",
                            type=click.Path(exists=True, file_okay=False, path_type=Path))


def _assignment(folder: Path):
    from .grading.assignment import load

    return _said(load, folder)


def _said(function, *args, **kwargs):
    """Run ``function``; an assignment that cannot be built is a message, not a traceback."""
    from .grading.assignment import AssignmentError

    try:
        return function(*args, **kwargs)
    except (AssignmentError, RuntimeError) as err:
        raise click.ClickException(str(err)) from None


@cli.command()
@ASSIGNMENT
@output("Output folder (default: dist/ in the assignment folder).")
@click.option("--no-check", is_flag=True,
              help="Skip running the solution against its own tests (faster, for drafts).")
def build(assignment, out, no_check):
    """Build ASSIGNMENT (default: this folder) from its master notebook: the student bundle,
    the solution and autograder.zip, as `otter assign` does."""
    from . import build as build_mod

    result = _said(build_mod.main, _assignment(assignment), out=out, check=not no_check,
                   echo=click.echo)
    for label, path in result.items():
        click.echo(f"{label:>12}: {path}")


def _zip(autograder: Path | None) -> Path:
    if autograder is not None:
        return autograder
    if not DEFAULT_ZIP.is_file():
        raise click.ClickException(f"no {DEFAULT_ZIP} here: run `poolside build` first, or "
                                   "name the zip with -a")
    return DEFAULT_ZIP


@cli.command()
@ASSIGNMENT
def sync(assignment):
    """Rewrite the master notebook's hidden test cells and autograded points from the
    checks of ASSIGNMENT (default: this folder); `poolside build` refuses a master that is
    out of step."""
    from . import master

    folder = _assignment(assignment)
    changed = _said(master.out_of_step, folder)
    master.write(folder)
    click.echo(f"{folder.master}: " + ("updated from the checks" if changed else "already in step"))


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--assignment", "folder", type=click.Path(exists=True, file_okay=False,
              path_type=Path), default=Path("."), show_default=True,
              help="The assignment folder (with poolside.toml) whose checks run.")
@click.option("--seed", type=int, default=None, help="The grading's seed (default: drawn).")
@click.pass_context
def check(ctx, notebook, folder, seed):
    """Run the hidden checks on NOTEBOOK like tests: the notebook runs once in the sandbox,
    then pytest runs the checks with its usual output. Other options go to pytest
    (`poolside check sub.ipynb -k q13 -x`)."""
    import pytest

    from .grade import default_cache
    from .grading import checks

    assignment = _assignment(folder)
    assignment.activate()
    package = _said(checks.folder_of, assignment.checks)
    # As grading runs them (checks._arguments), with pytest's report on the terminal.
    args = [*checks._arguments(package, None, quiet=False), "--notebook", str(notebook.resolve()),
            "--poolside-cache", str(default_cache()), *ctx.args]
    if seed is not None:
        args += ["--seed", str(seed)]
    sys.exit(int(pytest.main(args)))


@cli.command(name="run")
@click.argument("submission", type=click.Path(exists=True, path_type=Path))
@AUTOGRADER
def run_(submission, autograder):
    """Grade one submission (.ipynb or Otter export .zip) and print its scores.

    Exits with 1, saying why, when the submission could not be graded (not a notebook of this
    assignment, or the grader failed), and when it was stopped at the time limit (the scores
    of the checks that ran are printed).
    """
    from . import run as run_mod

    result = run_mod.main(submission, autograder=_zip(autograder))
    if result["status"] in ("invalid", "error"):
        click.echo(f"{submission}: not graded ({result['status']}): {result['reason']}", err=True)
        sys.exit(1)
    click.echo(run_mod.format_scores(result, feedback=True))
    sys.exit(0 if result["status"] == "graded" else 1)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@output("Output folder for grades.csv, canvas.csv, gradebook.csv, report.html and a folder per "
        "submission with its feedback.html (default: grading/ here; grading again into it "
        "updates its rows).")
@AUTOGRADER
@click.option("-j", "--jobs", type=int, default=None, help="Submissions at once (default: cores).")
@click.option("--timeout", type=float, default=TIMEOUT, show_default=True,
              help="Seconds one submission may take before it is stopped.")
@click.option("--cell-timeout", type=int, default=CELL_TIMEOUT, show_default=True,
              help="Seconds one cell may run before it is interrupted (grading goes on).")
@click.option("--roster", "class_roster", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), default=None,
              help="Class roster CSV (a Canvas gradebook export, or columns such as student_id, "
                   "name, email and optionally file): names each file's student; students "
                   "with no file get a row.")
@click.option("--only", multiple=True, metavar="GLOB",
              help="In folders, grade only files whose name matches (e.g. --only '*.ipynb', "
                   "any case); may be given more than once.")
@click.option("--lms-column", default=None, metavar="NAME",
              help="The assignment's column in canvas.csv, as your LMS names it (e.g. "
                   "'Homework 7 (88231)' from a Canvas export; default: the assignment's name).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Grade on a Dask cluster: a scheduler's address (tcp://host:8786), or "
                   "'local' for --jobs worker processes here (see README, 'A cluster').")
def grade(paths, out, autograder, jobs, timeout, cell_timeout, class_roster, only, lms_column,
          scheduler):
    """Grade .ipynb and Otter export .zip submissions (files or folders) in parallel.

    A folder may be a Gradescope submissions export: its submission_metadata.yml names each
    submission's students. Exits with 2 when no submission was found, and with 1 when none
    could be graded (every one invalid or failed; a submission stopped at the time limit keeps
    its scores).
    """
    from . import grade as grade_mod
    from . import intake

    if not intake.discover(list(paths), only):
        click.echo("nothing to grade: no file in " + ", ".join(map(str, paths)), err=True)
        sys.exit(2)
    if class_roster is not None:
        from .roster import read_roster

        try:
            read_roster(class_roster)
        except (ValueError, UnicodeDecodeError) as err:
            raise click.UsageError(f"--roster: {err}") from None
    table = grade_mod.main(list(paths), out or Path("grading"), _zip(autograder),
                           jobs=jobs, timeout=timeout, cell_timeout=cell_timeout,
                           class_roster=class_roster, only=only, lms_column=lms_column,
                           scheduler=scheduler)
    if not table["status"].isin(["graded", "timeout"]).any():
        click.echo("no submission could be graded: see the reasons in grades.csv", err=True)
        sys.exit(1)


@cli.command()
@click.argument("submission", type=click.Path(exists=True, path_type=Path))
@AUTOGRADER
@click.option("--keep", type=click.Path(path_type=Path), default=None,
              help="Keep the Gradescope-shaped tree in this folder.")
def gradescope(submission, autograder, keep):
    """Emulate a Gradescope run of the zip on one submission and validate results.json."""
    import tempfile

    from . import gradescope as gs

    autograder = _zip(autograder)
    with tempfile.TemporaryDirectory() as tmp:
        report = gs.main(submission, autograder, keep or Path(tmp))
    if report["results"] is not None:
        click.echo(f"score: {report['results'].get('score')}")
    for label in ("problems", "environment"):
        for problem in report[label]:
            click.echo(f"{label}: {problem}")
    ok = not report["problems"] and not report["environment"]
    click.echo("results.json follows Gradescope's specification" if ok else "NOT VALID")
    sys.exit(0 if ok else 1)


@cli.command()
@ASSIGNMENT
@output("Output folder (default: dist/ in the assignment folder).")
@click.option("-j", "--jobs", type=int, default=None, help="Submissions at once (default: cores).")
def demo(assignment, out, jobs):
    """Build ASSIGNMENT (default: this folder), then grade its example submissions and print
    the table."""
    from . import demo as demo_mod

    ok = _said(demo_mod.main, _assignment(assignment), out=out, echo=click.echo, jobs=jobs)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":  # pragma: no cover
    cli()
