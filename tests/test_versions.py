"""The first cell's version check: quiet on the tested stack, clear on one that matters."""

import re

from assignment import versions
from poolside import student_env
from tests import project as paths

TESTED = {"pymc": "6.4.1", "pytensor": "3.3.0", "nutpie": "0.16.11", "arviz": "1.3.0",
          "numpy": "2.4.0", "pandas": "3.0.1", "matplotlib": "3.10.0", "otter-grader": "7.0.0"}


def test_this_environment_passes():
    assert versions.problems() == []


def test_the_grading_lock_passes():
    pinned = student_env.versions(paths.REQUIREMENTS)
    assert versions.problems({n: pinned[n] for n in versions.REQUIRED}, (3, 12, 0)) == []


def test_old_majors_and_old_python_are_named():
    found = versions.problems({**TESTED, "pymc": "5.25.1", "arviz": "0.22.0"}, (3, 11, 9))
    text = "\n".join(found)
    assert len(found) == 3
    assert "Python is 3.11.9" in text and "pymc is 5.25.1" in text and "arviz is 0.22.0" in text


def test_a_missing_package_and_a_new_major_are_named():
    found = versions.problems({**TESTED, "nutpie": None, "pymc": "7.0.0"}, (3, 13, 0))
    assert any("nutpie is not installed" in f for f in found)
    assert any("pymc is 7.0.0" in f and "major" in f for f in found)


def test_check_versions_prints_a_warning(monkeypatch, capsys):
    monkeypatch.setattr(versions, "problems", lambda: ["pymc is 5.0.0; needs 6.4"])
    assert versions.check_versions() is False
    assert "WARNING" in capsys.readouterr().out


def test_version_numbers_are_read_like_pip_reads_them():
    assert versions._numbers("6.4.1rc1") == (6, 4, 1)
    assert versions._numbers("1.3.0.post2") == (1, 3, 0)
    assert versions._numbers("0.16.11") > versions._numbers("0.16.2")  # not string order


def test_required_ranges_follow_requirements_in():
    text = (paths.ROOT / "assignment" / "requirements.in").read_text()
    for name, (oldest, untested_major) in versions.REQUIRED.items():
        spec = re.search(rf"^{re.escape(name)}(\[[^\]]*\])?([^\n#]*)", text, re.MULTILINE)
        assert spec, name
        assert f"{oldest}" in spec.group(2), (name, spec.group(2))
        if untested_major is not None:
            assert f"<{untested_major}" in spec.group(2) or f"=={oldest}" in spec.group(2), name


def test_the_tests_run_every_package_at_the_grading_locks_version():
    grading = student_env.versions(paths.REQUIREMENTS)
    tests = student_env.versions(paths.ROOT / "requirements-dev.txt")
    assert {n: tests.get(n) for n in grading if tests.get(n) != grading[n]} == {}
