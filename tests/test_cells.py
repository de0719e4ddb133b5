"""Feedback names the cell that went wrong, and an untouched stub reads as not written yet."""

from __future__ import annotations

import nbformat

from poolside.grading import cells
from poolside.grading.sandboxed.probes import unwritten


def _notebook(*cells_):
    nb = nbformat.v4.new_notebook()
    for source, outputs in cells_:
        cell = nbformat.v4.new_code_cell(source)
        cell.outputs = [nbformat.v4.new_output("error", ename=e, evalue=v, traceback=[])
                        for e, v in outputs]
        nb.cells.append(cell)
    return nb


DEF = "def fit_no_pooled(spotify):\n    return model, idata\n"
CALL = "# fit it\nno_pooled_fit = fit_no_pooled(spotify)\ntidy(no_pooled_fit[1])"


def test_a_missing_fit_is_explained_by_the_cell_that_raised():
    nb = _notebook((DEF, []), (CALL, [("NameError", "name 'PRIORS' is not defined")]))
    why = cells.why_missing("no_pooled_fit", cells.read(nb))
    assert why == ("The cell `no_pooled_fit = fit_no_pooled(spotify)` raised NameError: "
                   "name 'PRIORS' is not defined.")


def test_a_syntax_error_in_a_function_is_named_where_its_caller_failed():
    nb = _notebook((DEF, [("SyntaxError", "invalid syntax (3416.py, line 2)")]),
                   (CALL, [("NameError", "name 'fit_no_pooled' is not defined")]))
    found = cells.read(nb)
    assert "`def fit_no_pooled(spotify):` raised SyntaxError" in cells.why_missing(
        "fit_no_pooled", found)
    both = cells.why_missing("no_pooled_fit", found)
    assert "fit_no_pooled(spotify)` raised NameError" in both and "SyntaxError" in both


def test_nothing_is_said_when_the_defining_cell_ran_cleanly():
    nb = _notebook((DEF, []), (CALL, []), ("x = 1 / 0", [("ZeroDivisionError", "division")]))
    assert cells.why_missing("no_pooled_fit", cells.read(nb)) is None
    # a comparison is not an assignment, and an indented assignment is not the cell's own
    nb = _notebook(("if no_pooled_fit == 2:\n    no_pooled_fit = 3\n1/0", [("E", "x")]))
    assert cells.why_missing("no_pooled_fit", cells.read(nb)) is None


def test_a_cell_stopped_for_time_is_said_to_have_been_stopped():
    nb = _notebook((DEF, []), (CALL, [("KeyboardInterrupt", "")]))
    assert cells.read(nb, {"1": "timeout"})[0].problem == "ran past its time limit and was stopped"
    found = cells.read(nb, {"1": "skipped"})
    assert "was not run: the notebook had used up its time" in cells.why_missing(
        "no_pooled_fit", found)
    assert cells.summary(found) is None  # not an error: the runner's own note says it


def test_the_instructor_summary_quotes_the_first_errors():
    nb = _notebook(*[(f"x{i} = f()", [("ValueError", "bad " * 100)]) for i in range(5)])
    line = cells.summary(cells.read(nb))
    assert line.startswith("5 cell(s) raised an error: `x0 = f()` raised ValueError: bad")
    assert line.endswith("(and 2 more)") and len(line) < 1000


def test_a_notebook_the_student_side_wrote_oddly_is_read_without_failing():
    assert cells.read({"cells": [None, {"cell_type": "code", "source": 5, "outputs": [1]}]}) == []
    assert cells.read("nonsense") == []


def test_the_stub_handed_out_is_unwritten_and_any_body_is_not():
    def stub(idata, artists):
        """Docstring."""
        ...

    def passes(x):
        pass

    def returns_none(x):
        return None

    def written(x):
        return x

    def prints(x):
        print(x)

    assert unwritten(stub) and unwritten(passes) and unwritten(returns_none)
    assert not unwritten(written) and not unwritten(prints) and not unwritten(print)
    assert not unwritten(None)


def test_a_failed_case_whose_function_is_missing_says_which_cell_raised():
    from tests.project import REGISTRY as registry

    grading = registry.context(0)
    case = registry.case("the artist means plot counts every artist")
    nb = _notebook(("def plot_artist_means(artist_means)\n    return 1",
                    [("SyntaxError", "expected ':' (1234.py, line 1)")]))
    found = cells.read(nb)
    [result] = registry.judge(grading, {"plot_artist_means": {"outcome": "missing"}}, [case],
                              why_missing=lambda name: cells.why_missing(name, found))
    assert result["message"] == (
        "The notebook does not define `plot_artist_means`. The cell `def "
        "plot_artist_means(artist_means)` raised SyntaxError: expected ':' (1234.py, line 1).")
    # and a fit: the variable, not the function, is what the cell was to define
    case = registry.case("the no pooled model has the priors and likelihood asked for")
    nb = _notebook((CALL, [("NameError", "name 'PRIORS' is not defined")]))
    found = cells.read(nb)
    [result] = registry.judge(grading, {"model-no_pooled": {"outcome": "missing"}}, [case],
                              why_missing=lambda name: cells.why_missing(name, found))
    assert result["message"].endswith("raised NameError: name 'PRIORS' is not defined.")


def test_grading_skips_the_public_checks_and_the_export_cell_only():
    from poolside.grading.sandboxed.execute import _not_graded as skipped

    check = nbformat.v4.new_code_cell('grader.check("q15b")')
    export = nbformat.v4.new_code_cell('export_submission("hierarchical.ipynb")')
    export.metadata["tags"] = ["otter_ignore"]
    work = nbformat.v4.new_code_cell('x = grader.check("q3")\nfit = fit_complete_pooled(spotify)')
    assert skipped(check) and skipped(export) and not skipped(work)
    assert not skipped(nbformat.v4.new_markdown_cell('grader.check("q3")'))
