"""``poolside build``: the student notebook leaks nothing, the zip has what grading needs."""

import json
import zipfile

import nbformat
import pytest

from solutions.examples import EXPECTED


def test_build_student_notebook_contains_no_solution(built):
    student = nbformat.read(built["student"] / built["solution"].name, as_version=4)
    code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    for secret in ('q12 = "in between"', "rng.normal(mu, sigma_mu)", "mu_j[codes], sigma_y",
                   'q17_most_variable = "no pooled"', "pm.sample(",
                   "own / (own + 1 / sigma_mu**2)"):
        assert secret not in code
    # Hidden tests live only in the autograder zip, not in the notebook's metadata.
    assert "autograder.checks" not in json.dumps(student.metadata)
    assert not (built["student"] / "autograder").exists()
    assert not (built["student"] / "solutions").exists()


def test_build_student_folder_has_what_students_need(built):
    assert {p.name for p in built["student"].iterdir()} >= {
        "hierarchical.ipynb", "activity.py", "versions.py", "submit.py", "spotify.csv",
        "requirements.txt", "environment.yml", "INSTALL.md"}


def test_build_student_environment_matches_the_grading_lock(built):
    from poolside import student_env
    from tests import project as paths

    student = student_env.versions(built["student"] / "requirements.txt")
    grading = student_env.versions(paths.REQUIREMENTS)
    # Everything grading installs, at the same version, plus a notebook server to open it.
    assert {name: student.get(name) for name in grading} == grading
    assert "jupyterlab" in student
    for name in ("pymc", "pytensor", "nutpie", "arviz", "numpy", "pandas", "matplotlib",
                 "otter-grader", "ipykernel"):
        assert student[name] == grading[name]


def test_build_environment_yml_pins_python_and_the_same_packages(built):
    import yaml

    from poolside import student_env

    env = yaml.safe_load((built["student"] / "environment.yml").read_text())
    assert "python=3.12" in env["dependencies"]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip == student_env.pins(built["student"] / "requirements.txt")
    assert all("==" in line for line in pip)


def test_build_zip_ships_the_checks_and_references(built):
    names = set(zipfile.ZipFile(built["autograder"]).namelist())
    assert {"files/autograder/checks/test_q03.py", "files/solutions/reference.json",
            "files/solutions/models.py", "files/spotify.csv", "files/activity.py",
            "files/poolside/grading/runner.py", "files/poolside.toml", "files/points.json"} <= names
    # only the engine of the package ships, and none of the instructor's tooling
    assert not {"files/poolside/cli.py", "files/poolside/build.py",
                "files/solutions/examples.py", "files/solutions/reference.py"} & names


def test_build_writes_every_example_submission(built):
    assert {p.name for p in built["examples"].iterdir()} == set(EXPECTED)


@pytest.mark.slow
def test_build_solution_gets_full_marks_with_plain_otter_run(built, tmp_path):
    import subprocess
    import sys

    from poolside import grade

    subprocess.run([sys.executable, "-m", "otter", "run", "-a", str(built["autograder"]),
                    "-o", str(tmp_path), str(built["solution"])], check=True,
                   capture_output=True, cwd=tmp_path)
    results = json.loads((tmp_path / "results.json").read_text())
    scores = {t["name"]: t["score"] for t in results["tests"] if "max_score" in t}
    assert scores == grade.question_points(built["autograder"])
    # Public checks carry no points, so a failing one would not show in the scores.
    failing = [t["name"] for t in results["tests"] if "❌" in t.get("output", "")]
    assert not failing, failing


def test_the_masters_hidden_cells_follow_the_registry():
    from poolside import master
    from tests import project as paths

    nb = json.loads(paths.MASTER.read_text(encoding="utf-8"))
    assert master.sync(nb, paths.ASSIGNMENT) == nb
    hidden = [c for c in nb["cells"] if master._is_hidden_test(c)]
    assert len(hidden) == len(paths.REGISTRY.cases)
    edited = json.loads(json.dumps(nb))
    cell = next(c for c in edited["cells"] if master._is_hidden_test(c))
    cell["source"] = [line.replace("points: 2", "points: 20") for line in cell["source"]]
    assert master.sync(edited, paths.ASSIGNMENT) != edited


def test_a_questions_points_follow_the_registry():
    from poolside import master
    from tests import project as paths

    nb = json.loads(paths.MASTER.read_text(encoding="utf-8"))
    edited = json.loads(json.dumps(nb))
    cell = next(c for c in edited["cells"] if c["cell_type"] == "raw"
                and "".join(c["source"]).startswith("# BEGIN QUESTION\nname: q3\n"))
    cell["source"] = [line.replace("points: 6", "points: 60") for line in cell["source"]]
    assert "points: 60" in "".join(cell["source"])
    assert master.sync(edited, paths.ASSIGNMENT) == nb  # the registry's 6 comes back
