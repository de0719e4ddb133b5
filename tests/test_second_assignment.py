"""Nothing is tied to the chapter-16 assignment: a second, tiny one (tests/assignments/tiny:
one function, one choice, no PyMC, no hooks) is built and graded by the same commands, and so
is a wheel of the package installed in a fresh virtual environment."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from poolside import master
from poolside.gradebook import read_grades
from poolside.cli import cli
from poolside.grading.assignment import AssignmentError, load
from tests.project import ROOT

TINY = ROOT / "tests" / "assignments" / "tiny"


def test_the_tiny_assignment_is_described_by_its_config():
    tiny = load(TINY)
    assert (tiny.name, tiny.notebook, tiny.checks) == ("tiny-means", "tiny.ipynb", "checks")
    assert [p.name for p in tiny.student_files] == ["numbers.csv"]
    assert tiny.references is None and tiny.hook("warm") is None
    assert tiny.load_registry().questions == {"q1": 2, "q2": 1, "q3": 1}


def test_the_tiny_masters_hidden_cells_follow_its_registry():
    tiny = load(TINY)
    assert not master.out_of_step(tiny)
    hidden = master.hidden_cell_source(tiny.load_registry().cases[0], tiny)
    assert "checks.collect('checks').check(" in hidden
    assert "autograder" not in hidden and "solutions" not in hidden


def test_a_folder_without_a_config_is_refused_with_what_to_do(tmp_path):
    with pytest.raises(AssignmentError, match="has no poolside.toml"):
        load(tmp_path)
    result = CliRunner().invoke(cli, ["build", str(tmp_path)])
    assert result.exit_code == 1 and "has no poolside.toml" in result.output


def test_a_config_naming_a_missing_file_says_which(tmp_path):
    shutil.copytree(TINY, tmp_path / "tiny")
    (tmp_path / "tiny" / "numbers.csv").unlink()
    with pytest.raises(AssignmentError, match="`data` names numbers.csv, which does not exist"):
        load(tmp_path / "tiny")


def _wrong(solution: Path, target: Path) -> Path:
    text = solution.read_text()
    assert '[\\"value\\"].mean()' in text and 'q2 = \\"median\\"' in text
    assert "return len(table)" in text
    target.write_text(text.replace('[\\"value\\"].mean()', '[\\"value\\"].median()')
                      .replace('q2 = \\"median\\"', 'q2 = \\"mean\\"')
                      .replace("return len(table)", "return str(len(table))"))
    return target


def _build_and_grade(poolside: list[str], assignment: Path, work: Path, env=None) -> pd.DataFrame:
    def run(*args):
        done = subprocess.run([*poolside, *args], cwd=work, capture_output=True, text=True,
                              env=env, timeout=900)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    run("build", str(assignment), "-o", "dist")  # grades its own solution, or fails
    subs = work / "submissions"
    subs.mkdir()
    shutil.copy(work / "dist" / "solution" / "tiny.ipynb", subs / "right.ipynb")
    shutil.copy(work / "dist" / "student" / "tiny.ipynb", subs / "untouched.ipynb")
    _wrong(work / "dist" / "solution" / "tiny.ipynb", subs / "wrong.ipynb")
    run("grade", "submissions", "-a", "dist/autograder.zip", "-o", "grades")
    table = read_grades(work / "grades" / "grades.csv")
    return table.set_index(table["file"].map(lambda f: Path(f).name))


def _expect_tiny_grades(table: pd.DataFrame) -> None:
    assert set(table["status"]) == {"graded"}
    assert table.loc["right.ipynb", ["q1", "q2", "q3"]].tolist() == [2, 1, 1]
    assert table.loc["untouched.ipynb", ["q1", "q2", "q3"]].tolist() == [0, 0, 0]
    assert table.loc["wrong.ipynb", ["q1", "q2", "q3"]].tolist() == [0, 0, 0]


@pytest.mark.slow
def test_the_tiny_assignment_builds_and_grades_with_the_same_commands(tmp_path):
    _expect_tiny_grades(_build_and_grade([sys.executable, "-m", "poolside"], TINY, tmp_path))
    with __import__("zipfile").ZipFile(tmp_path / "dist" / "autograder.zip") as zf:
        names = set(zf.namelist())
        shipped = zf.read("files/poolside.toml").decode()
    assert {"files/checks/test_tiny.py", "files/numbers.csv", "files/points.json",
            "files/poolside/grading/runner.py"} <= names
    assert not any(n.startswith(("files/autograder/", "files/solutions/")) for n in names)
    assert 'notebook = "tiny.ipynb"' in shipped
    # The runner's own command line, as the benchmarks call it, into a folder not made yet.
    files = tmp_path / "files"
    with __import__("zipfile").ZipFile(tmp_path / "dist" / "autograder.zip") as zf:
        for name in names:
            if name.startswith("files/") and not name.endswith("/"):
                (files / name[6:]).parent.mkdir(parents=True, exist_ok=True)
                (files / name[6:]).write_bytes(zf.read(name))
    done = subprocess.run([sys.executable, "-m", "poolside.grading.runner",
                           str(tmp_path / "dist" / "solution" / "tiny.ipynb"),
                           str(tmp_path / "new" / "work"), "--assignment", str(files)],
                          cwd=files, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "new" / "work" / "results.json").read_text())["score"] == 4


def _wheel(tmp_path: Path) -> Path:
    """A wheel built from a copy of what the package is made of (so nothing else leaks in)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path / "wheels"), str(source)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "wheels").glob("poolside-*.whl")
    return wheel


@pytest.mark.slow
def test_a_wheel_in_a_fresh_environment_builds_and_grades_both_assignments(tmp_path):
    """The wheel alone: a new virtual environment gets the locked dependencies from this one
    (a path file; installing PyMC afresh would need the network and minutes) and the wheel
    itself, nothing of this checkout. Its ``poolside`` builds and grades the tiny assignment,
    then builds the chapter-16 one and grades its solution."""
    import zipfile

    wheel = _wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        top = {n.split("/")[0] for n in zf.namelist()}
    assert {t for t in top if not t.endswith(".dist-info")} == {"poolside"}

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path("
                                   "'purelib'))"], capture_output=True, text=True,
                                  check=True).stdout.strip())
    (purelib / "locked_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True,
                   timeout=300)
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in __import__("os").environ.items() if k != "PYTHONPATH"}
    where = subprocess.run([python, "-c", "import poolside, sys; print(poolside.__file__); "
                            "import importlib.util as u; print(u.find_spec('solutions'))"],
                           cwd=work, capture_output=True, text=True, env=env, check=True)
    assert where.stdout.splitlines() == [str(purelib / "poolside" / "__init__.py"), "None"]

    command = [str(env_dir / "bin" / "poolside")]
    _expect_tiny_grades(_build_and_grade(command, TINY, work, env))

    example = tmp_path / "example"
    example.mkdir()
    built = subprocess.run([*command, "build", str(ROOT), "-o", str(example / "dist"),
                            "--no-check"], cwd=example, capture_output=True, text=True,
                           env=env, timeout=900)
    assert built.returncode == 0, built.stdout + built.stderr
    graded = subprocess.run([*command, "run", "dist/examples/correct.ipynb"], cwd=example,
                            capture_output=True, text=True, env=env, timeout=1500)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    with zipfile.ZipFile(example / "dist" / "autograder.zip") as zf:
        possible = sum(json.loads(zf.read("files/points.json")).values())
    assert re.search(rf"total\s+{possible:g} / {possible:g}\n", graded.stdout), graded.stdout


def test_sync_brings_an_edited_master_back_in_step_and_build_refuses_it_before(tmp_path):
    shutil.copytree(TINY, tmp_path / "tiny")
    master_path = tmp_path / "tiny" / "tiny.ipynb"
    text = master_path.read_text()
    assert text.count('"points: 2"') == 1  # the last line of q1's question cell
    master_path.write_text(text.replace('"points: 2"', '"points: 5"'))
    assert master.out_of_step(load(tmp_path / "tiny"))
    refused = CliRunner().invoke(cli, ["build", str(tmp_path / "tiny"), "--no-check"])
    assert refused.exit_code == 1 and "poolside sync" in refused.output
    done = CliRunner().invoke(cli, ["sync", str(tmp_path / "tiny")])
    assert done.exit_code == 0 and "updated from the checks" in done.output
    assert master_path.read_text() == (TINY / "tiny.ipynb").read_text()


def _tiny_copy(tmp_path: Path, **replace: str) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    config = folder / "poolside.toml"
    text = config.read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    config.write_text(text)
    return folder


def test_checks_that_cannot_be_found_or_collected_are_named_in_the_message(tmp_path):
    folder = _tiny_copy(tmp_path, **{'checks = "checks"': 'checks = "chekcs"'})
    with pytest.raises(AssignmentError, match="`grading` does not ship the checks chekcs"):
        load(folder)
    (folder / "chekcs").mkdir()
    (folder / "chekcs" / "__init__.py").write_text("")
    config = folder / "poolside.toml"
    config.write_text(config.read_text().replace('grading = ["checks"]',
                                                 'grading = ["checks", "chekcs"]'))
    with pytest.raises(AssignmentError, match="could not be collected"):
        load(folder).load_registry()  # a package with no checks in it
    config.write_text(config.read_text().replace('checks = "chekcs"', 'checks = "chekcs.q"'))
    with pytest.raises(AssignmentError, match="`checks` names chekcs.q, which cannot be imported"):
        load(folder).load_registry()
    result = CliRunner().invoke(cli, ["sync", str(folder)])
    assert result.exit_code == 1 and "cannot be imported" in result.output


def test_a_plan_entry_no_probe_can_run_is_refused_when_planned():
    from poolside.grading.registry import Case, Registry

    tiny = load(TINY).load_registry()
    bad = Case("q1", "returns something unknown", 1,
               lambda g: [{"id": "x", "probe": "call", "function": "f", "args": [],
                           "returns": "number"}])
    registry = Registry([bad], {"q1": 1}, tiny.context)
    with pytest.raises(ValueError, match="a call probe returns one of"):
        registry.plan(registry.context(0))


BROKEN_CHECKS = """
import pytest
from poolside.grading.checks import check


@check("q1", points=1, probes=lambda g: [])
def test_crash(grading, reports):
    \"\"\"a check with a bug\"\"\"
    float("not a number")


@check("q1", points=1, probes=lambda g: [])
def test_bare(grading, reports):
    \"\"\"a check that says nothing\"\"\"
    assert reports.get("nothing")


@check("q1", points=1, probes=lambda g: [])
def test_skipped(grading, reports):
    \"\"\"a check that skips itself\"\"\"
    pytest.skip("not today")


@check("q1", points=1, probes=lambda g: [])
def test_missing_fixture(grading, reports, no_such_fixture):
    \"\"\"a check that asks for a fixture nobody gives\"\"\"


@check("q1", points=1, probes=lambda g: [])
def test_library_assert(grading, reports):
    \"\"\"a check a library's own assertion stops\"\"\"
    import numpy as np

    np.testing.assert_equal(1, 2)


class TestInAClass:
    @check("q1", points=1, probes=lambda g: [])
    def test_in_a_class(self, grading, reports):
        \"\"\"a check written as a method\"\"\"
        assert reports.get("x") == 1, "x should be 1"
"""


def test_a_check_that_crashes_skips_or_says_nothing_fails_with_a_note_never_silently(tmp_path):
    folder = _tiny_copy(tmp_path)
    (folder / "checks" / "test_broken.py").write_text(BROKEN_CHECKS)
    registry = load(folder).load_registry()
    broken = [c for c in registry.cases if "test_broken" in c.target]
    results = registry.judge(registry.context(0), {}, broken)
    assert [r["passed"] for r in results] == [False] * 6
    crash, bare, skipped, fixture, library, method = results
    assert "could not read" in crash["message"] and crash["error"].startswith("ValueError")
    assert bare["message"] == "This check failed." and "without a message" in bare["error"]
    assert "skipped" in skipped["error"] and "no_such_fixture" in fixture["error"]
    assert "could not read" in library["message"] and library["error"].startswith("Assertion")
    assert method["message"] == "x should be 1" and "error" not in method
    (passed,) = registry.judge(registry.context(0), {"x": 1}, [registry.case(
        "a check written as a method")])
    assert passed["passed"]


@pytest.mark.parametrize("source,said", [
    ("import pytest\npytest.skip('later', allow_module_level=True)\n", "skipped itself"),
    ("from poolside.grading.checks import check\n\n@check('q1', points=1, probes=lambda g: [])"
     "\ndef check_hidden(grading, reports):\n    pass\n", "does not collect it"),
    ("import pytest\nfrom poolside.grading.checks import check\n\n"
     "@pytest.mark.parametrize('n', [1, 2])\n@check('q1', points=1, probes=lambda g: [])"
     "\ndef test_twice(grading, reports, n):\n    pass\n", "is parametrized"),
])
def test_checks_that_would_vanish_or_count_twice_are_refused(tmp_path, source, said):
    folder = _tiny_copy(tmp_path)
    (folder / "checks" / "test_odd.py").write_text(source)
    with pytest.raises(AssignmentError, match=said):
        load(folder).load_registry()


def test_nothing_outside_the_assignment_changes_how_its_checks_run(tmp_path, monkeypatch):
    """A pytest.ini above the assignment (a shared /tmp, say) and pytest options in the
    grader's environment are not read."""
    folder = _tiny_copy(tmp_path)
    (tmp_path / "pytest.ini").write_text("[pytest]\npython_files = nothing_*.py\n"
                                         "addopts = --maxfail=1\n")
    monkeypatch.setenv("PYTEST_ADDOPTS", "-x")
    registry = load(folder).load_registry()
    assert len(registry.cases) == 3
    results = registry.judge(registry.context(0), {})
    assert len(results) == 3 and not any("never reported" in r.get("error", "") for r in results)


def test_a_test_in_the_checks_that_is_not_a_check_is_refused(tmp_path):
    folder = _tiny_copy(tmp_path)
    (folder / "checks" / "test_plain.py").write_text("def test_x():\n    pass\n")
    with pytest.raises(AssignmentError, match="not marked as a check"):
        load(folder).load_registry()


@pytest.mark.slow
def test_a_build_whose_solution_fails_says_which_checks_and_why(tmp_path):
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    master_path = folder / "tiny.ipynb"
    text = master_path.read_text()
    assert "return len(table)" in text
    master_path.write_text(text.replace("return len(table)", "return len(table) + 1"))
    result = CliRunner().invoke(cli, ["build", str(folder), "-o", str(tmp_path / "dist")])
    assert result.exit_code == 1, result.output
    assert "does not pass its own tests" in result.output
    assert "q3  0 / 1" in result.output
    assert "not the number of rows of the table it was given" in result.output
    assert "q1  2 / 2" in result.output and "Traceback" not in result.output


def test_forged_reports_cross_as_plain_data_or_not_at_all():
    """A report is written where the student's code runs: what wire.load hands back may be
    an array where a str or a number belongs. The grader's side makes it plain again."""
    import numpy as np

    from poolside.grading.registry import plain_report

    registry = load(TINY).load_registry()
    grading = registry.context(3)
    entries = {e["id"]: e for e in registry.plan(grading)}
    n = len(grading.made("numbers"))
    honest = {"q2": {"outcome": "returned", "values": {"q2": "median"}},
              "count_rows": {"outcome": "returned", "value": {"type_ok": True, "value": n}}}
    forged = {"q2": {"outcome": "returned", "values": {"q2": np.array("median")}},
              "count_rows": {"outcome": "returned",
                             "value": {"type_ok": True, "value": np.array([n])}}}
    for reports, passed in ((honest, True), (forged, False)):
        plain = {k: plain_report(entries[k], r) for k, r in reports.items()}
        results = registry.judge(grading, plain, [registry.case("q2 is answered correctly"),
                                                  registry.case("count_rows counts the rows of any table")])
        assert [r["passed"] for r in results] == [passed, passed]
        assert not any("error" in r for r in results)  # no fake "grader problem" either


def test_the_count_changes_with_the_grading_so_no_answer_is_stored():
    registry = load(TINY).load_registry()
    counts = set()
    for seed in range(6):
        grading = registry.context(seed)
        registry.plan(grading)
        counts.add(len(grading.made("numbers")))
    assert len(counts) > 1


@pytest.mark.parametrize("replace,message", [
    ({'data = ["numbers.csv"]': 'data = ["numbers.csv", "checks/test_tiny.py"]'},
     "a grading file would go to students"),
    ({'data = ["numbers.csv"]': 'data = ["numbers.csv", "sub/numbers.csv"]'},
     "their names must differ"),
    ({'grading = ["checks"]': 'grading = ["checks"]\nreferences = "numbers.csv"'},
     "is not among the `grading` files"),
    ({'grading = ["checks"]': 'grading = ["checks", "points.json"]'},
     "a name the build uses in the zip"),
])
def test_a_layout_that_would_build_but_not_grade_is_refused(tmp_path, replace, message):
    folder = _tiny_copy(tmp_path, **replace)
    (folder / "sub").mkdir()
    (folder / "sub" / "numbers.csv").write_text("x\n1\n")
    (folder / "points.json").write_text("{}")
    with pytest.raises(AssignmentError, match=message):
        load(folder)


def test_a_second_copy_of_an_assignment_gets_its_own_registry(tmp_path):
    folder = _tiny_copy(tmp_path)
    checks = folder / "checks" / "test_tiny.py"
    checks.write_text(checks.read_text().replace('@check("q1", points=2,', '@check("q1", points=5,'))
    assert load(TINY).load_registry().questions["q1"] == 2
    assert load(folder).load_registry().questions["q1"] == 5
    assert load(TINY).load_registry().questions["q1"] == 2


def test_a_probe_that_needs_an_input_the_context_did_not_make_is_refused():
    from poolside.grading.registry import Case, Registry

    tiny = load(TINY).load_registry()
    bad = Case("q1", "a model without its points", 1,
               lambda g: [{"id": "m", "probe": "model", "variable": "fit", "points": "pts"}])
    registry = Registry([bad], {"q1": 1}, tiny.context)
    with pytest.raises(ValueError, match="needs inputs the context did not make"):
        registry.plan(registry.context(0))
