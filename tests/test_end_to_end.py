"""Otter end to end: build dist/, then grade the solution, the untouched student notebook and
notebooks with realistic mistakes, each losing points exactly where expected."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from poolside import build
from poolside.run import main as grade

pytestmark = pytest.mark.slow

AUTOGRADED = {"q2": 2, "q3": 6, "q5": 6, "q6": 2, "q7": 6, "q9": 5, "q10": 2, "q11": 6,
              "q12": 1, "q13": 4, "q14": 2, "q15a": 1, "q15b": 3, "q17": 2}

# Each mistake edits the solution's source; mistakes in one notebook touch different
# questions, and every hidden check reads only its own question's work, so their effects
# add up independently. Values are the expected score of the affected questions.
MISTAKES = {
    "prior_scale_variance_new_artist_mc": (
        [
            ('mu = pm.Normal("mu", PRIOR["mu_loc"], PRIOR["mu_scale"])\n        sigma = pm.Exponential("sigma", PRIOR["sigma_rate"])',
             'mu = pm.Normal("mu", PRIOR["mu_loc"], 10)\n        sigma = pm.Exponential("sigma", PRIOR["sigma_rate"])'),
            ('pm.Normal("popularity", mu_j[codes], sigma, observed',
             'pm.Normal("popularity", mu_j[codes], sigma**2, observed'),
            ("centre = rng.normal(mu, sigma_mu)", "centre = mu"),
            ('q12 = "in between"', 'q12 = "no pooled"'),
        ],
        # wrong prior scale on mu: the model check fails, the posterior barely moves
        {"q3": 4, "q7": 0, "q13": 0, "q12": 0},
    ),
    "fabricated_fit_no_pooled_as_hierarchical_unlabelled_plot": (
        [
            ("""pm.Normal("popularity", mu, sigma, observed=y)
        idata = pm.sample(draws=5000, tune=5000, chains=4, cores=1, random_seed=84735,
                          nuts_sampler="nutpie", progressbar=False)""",
             """pm.Normal("popularity", mu, sigma, observed=y)
        rng = np.random.default_rng(1)
        idata = az.from_dict(posterior={"mu": rng.normal(58.4, 1.11, (4, 5000)),
                                        "sigma": rng.normal(20.7, 0.781, (4, 5000))})"""),
            ("""        tau = pm.Exponential("tau", 1.0)
        sigma_mu = pm.Deterministic("sigma_mu", tau * sigma_y)
        mu_j = pm.Normal("mu_j", mu, sigma_mu, dims="artist")""",
             """        mu_j = pm.Normal("mu_j", 0.0, 1000.0, dims="artist")"""),
            ('ax.set_xlabel("popularity")\n    ax.set_ylabel("songs")', 'ax.set_ylabel("songs")'),
        ],
        {"q3": 2, "q11": 0, "q2": 0},
    ),
    "missing_observed_vague_error": (
        [
            ('pm.Normal("popularity", mu, sigma, observed=y)', 'pm.Normal("popularity", mu, sigma)'),
            ('raise ValueError(f"The no pooled model has no mean for {\', \'.join(unknown)}: "',
             'raise ValueError("The no pooled model has no mean for that artist: "'),
            ('q17_most_biased = "complete pooled"', 'q17_most_biased = "hierarchical"'),
        ],
        {"q3": 0, "q9": 3, "q17": 0},
    ),
}


def _mutate(solution_path, edits, target):
    nb = nbformat.read(solution_path, as_version=4)
    for old, new in edits:
        hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        assert len(hits) == 1, f"edit target not found exactly once: {old[:60]!r}"
        hits[0].source = hits[0].source.replace(old, new)
    nbformat.write(nb, target)
    return target


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    built = build.main(out=out, check=False)
    subs = {"solution": built["solution"],
            "student": built["student"] / built["solution"].name}
    for name, (edits, _) in MISTAKES.items():
        subs[name] = _mutate(built["solution"], edits, out / f"{name}.ipynb")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {n: pool.submit(grade, p, autograder=built["autograder"]) for n, p in subs.items()}
        return {n: f.result() for n, f in futures.items()}, built


def _scores(result):
    return {q: s["score"] for q, s in result["questions"].items() if q in AUTOGRADED}


def test_solution_gets_full_marks(graded):
    results, _ = graded
    assert _scores(results["solution"]) == {q: float(p) for q, p in AUTOGRADED.items()}


def test_untouched_student_notebook_scores_zero_on_every_question(graded):
    results, _ = graded
    scores = _scores(results["student"])
    assert set(scores) == set(AUTOGRADED)
    assert all(score == 0 for score in scores.values()), scores


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistakes_lose_points_exactly_where_expected(graded, name):
    results, _ = graded
    expected = {q: float(p) for q, p in AUTOGRADED.items()}
    expected.update({q: float(s) for q, s in MISTAKES[name][1].items()})
    assert _scores(results[name]) == expected


def test_failure_messages_do_not_give_away_the_answer(graded):
    results, _ = graded
    text = json.dumps(results["prior_scale_variance_new_artist_mc"]["raw"])
    for secret in ("in between", "51.7", "58.37", "mu_scale"):
        assert secret not in text


def test_student_notebook_contains_no_solution(graded):
    _, built = graded
    student = nbformat.read(built["student"] / built["solution"].name, as_version=4)
    code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    for secret in ('q12 = "in between"', "rng.normal(mu, sigma_mu)", "mu_j[codes], sigma_y",
                   'q17_most_variable = "no pooled"', "pm.sample("):
        assert secret not in code
    # Hidden tests live only in the autograder zip, not in the notebook's metadata.
    assert "autograder.questions" not in (built["student"] / built["solution"].name).read_text()
    assert not (built["student"] / "autograder").exists()
    assert not (built["student"] / "solutions").exists()
