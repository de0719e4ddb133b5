"""A green public check means the points; a red one means points lost.

``tests/weak_students/`` holds notebooks written as weaker students write them: each started
with a handful of realistic slips, then fixed only what a red ``grader.check`` said, every
attempt kept (outputs cleared). Each is run here with real fits, and for every autograded
question that is not multiple choice, its public checks must all pass exactly when its hidden
checks give it full marks.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pymc
import pytest

from tests.project import REGISTRY as registry
from poolside.grading.feedback import GradingError
from solutions.master_run import call, public_tests, run_notebook

NOTEBOOKS = sorted((Path(__file__).parent / "weak_students").glob("*.ipynb"))
#: Answers checked only after submitting: their public check says so when it passes.
MULTIPLE_CHOICE = {"q12", "q15a", "q17"}


def _sample(*args, **kwargs):
    # The notebooks ask for the activity's 4 x 5000 draws; fewer keep this test short and still
    # give the fit checks' bands (sized from Monte Carlo error) something real to judge.
    kwargs.update(draws=1000, tune=1000)
    return pymc.sample(*args, **kwargs)


def _public(env: dict) -> dict[str, list[str]]:
    failed: dict[str, list[str]] = {}
    for name, (question, test) in public_tests().items():
        try:
            call(test, env)
        except AssertionError as err:
            failed.setdefault(question, []).append(f"{name}: {str(err)[:200]}")
        except Exception as err:  # noqa: BLE001 - Otter shows this as a failed check too
            failed.setdefault(question, []).append(f"{name}: {type(err).__name__}: {err}")
    return failed


def _hidden(env: dict) -> dict[str, list[str]]:
    lost: dict[str, list[str]] = {}
    for case in registry.cases:
        try:
            registry.check(case.name, env, seed=7)
        except GradingError as err:
            lost.setdefault(case.question, []).append(f"{case.name}: {str(err)[:200]}")
    return lost


def test_there_are_weak_students_with_first_attempts():
    names = {p.name.split("-")[0] for p in NOTEBOOKS}
    assert len(names) >= 3 and all(any(p.name == f"{n}-attempt1.ipynb" for p in NOTEBOOKS)
                                   for n in names)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_green_public_check_means_the_points_and_a_red_one_does_not(path):
    before = set(plt.get_fignums())
    try:
        env = run_notebook(path, sample=_sample)
        public, hidden = _public(env), _hidden(env)
    finally:
        for number in set(plt.get_fignums()) - before:
            plt.close(number)
    disagree = {q: {"public": public.get(q), "hidden": hidden.get(q)}
                for q in registry.questions if q not in MULTIPLE_CHOICE
                and (q in public) != (q in hidden)}
    assert not disagree, disagree
