"""Example submissions, made from the built notebooks: the main job and the tests grade them.

Each example is a recipe applied to ``dist/``'s solution or student notebook, so the examples
can never go stale against the master notebook. ``EXPECTED`` records what grading each one
must give: a status, and for graded ones the score of every question that is not full marks.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import nbformat

__all__ = ["write_examples", "EXPECTED", "MISTAKES"]

# Each mistake edits the solution's source; mistakes in one notebook touch different
# questions, and every hidden check reads only its own question's work, so their effects
# add up independently. Values are the expected score of the affected questions.
MISTAKES = {
    "wrong-priors-and-predictions": (
        [
            ('mu = pm.Normal("mu", PRIOR["mu_loc"], PRIOR["mu_scale"])\n        sigma = pm.Exponential("sigma", PRIOR["sigma_rate"])',
             'mu = pm.Normal("mu", PRIOR["mu_loc"], 10)\n        sigma = pm.Exponential("sigma", PRIOR["sigma_rate"])'),
            ('pm.Normal("popularity", mu_j[codes], sigma, observed',
             'pm.Normal("popularity", mu_j[codes], sigma**2, observed'),
            ("centre = rng.normal(mu, sigma_mu)", "centre = mu"),
            ('q12 = "in between"', 'q12 = "no pooled"'),
        ],
        # wrong prior scale on mu: the model check fails, and the fit is only checked once
        # the model is right (its posterior barely moves, but it is not the model asked for)
        {"q3": 0, "q7": 0, "q13": 0, "q12": 0},
    ),
    "fabricated-fit-and-fake-hierarchy": (
        [
            ("""pm.Normal("popularity", mu, sigma, observed=y)
        idata = pm.sample(draws=5000, tune=5000, chains=4, cores=1, random_seed=84735,
                          nuts_sampler="nutpie", progressbar=False)""",
             """pm.Normal("popularity", mu, sigma, observed=y)
        rng = np.random.default_rng(1)
        idata = az.from_dict({"posterior": {"mu": rng.normal(58.4, 1.11, (4, 5000)),
                                        "sigma": rng.normal(20.7, 0.781, (4, 5000))}})"""),
            ("""        tau = pm.Exponential("tau", 1.0)
        sigma_mu = pm.Deterministic("sigma_mu", tau * sigma_y)
        mu_j = pm.Normal("mu_j", mu, sigma_mu, dims="artist")""",
             """        mu_j = pm.Normal("mu_j", 0.0, 1000.0, dims="artist")"""),
            ('ax.set_xlabel("popularity")\n    ax.set_ylabel("songs")', 'ax.set_ylabel("songs")'),
        ],
        {"q3": 2, "q11": 0, "q2": 0},
    ),
    "missing-observed-and-vague-error": (
        [
            ('pm.Normal("popularity", mu, sigma, observed=y)', 'pm.Normal("popularity", mu, sigma)'),
            ('raise ValueError(f"The no pooled model has no mean for {\', \'.join(unknown)}: "',
             'raise ValueError("The no pooled model has no mean for that artist: "'),
            ('q17_most_biased = "complete pooled"', 'q17_most_biased = "hierarchical"'),
            # standard deviations where the pooling weight needs variances
            ("own = n / sigma_y**2\n    weight = own / (own + 1 / sigma_mu**2)",
             "own = n / sigma_y\n    weight = own / (own + 1 / sigma_mu)"),
        ],
        {"q3": 0, "q9": 3, "q17": 0, "q15d": 0},
    ),
}


#: name -> (status, {question: score} for questions below full marks; None: no scores)
EXPECTED = {
    "correct.ipynb": ("graded", {}),
    "untouched.ipynb": ("graded", "all zero"),
    **{f"{name}.ipynb": ("graded", scores) for name, (_, scores) in MISTAKES.items()},
    "infinite-loop.ipynb": ("graded", {"q2": 0}),
    # The kernel dies after two fits; the runner starts a new one and runs the notebook again
    # without the cell that killed it, so the finished work keeps its points.
    "kernel-exit.ipynb": ("graded", {}),
    "malformed.ipynb": ("invalid", None),
    "empty.ipynb": ("invalid", None),
    "other-assignment.ipynb": ("invalid", None),
    "notes.txt": ("invalid", None),
    "otter-export.zip": ("graded", {}),
}


def _edited(solution: Path, edits) -> nbformat.NotebookNode:
    nb = nbformat.read(solution, as_version=4)
    for old, new in edits:
        hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        if len(hits) != 1:
            raise ValueError(f"example edit does not match exactly one cell: {old[:60]!r}")
        hits[0].source = hits[0].source.replace(old, new)
    return nb


def write_examples(solution: Path, student: Path, out: Path) -> dict:
    """Write every example of :data:`EXPECTED` into ``out``; return :data:`EXPECTED`.

    The ``examples`` hook of poolside.toml: ``poolside build`` calls it with the built
    solution and student notebooks, and ``poolside demo`` grades the folder."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copy(solution, out / "correct.ipynb")
    shutil.copy(student, out / "untouched.ipynb")
    for name, (edits, _) in MISTAKES.items():
        nbformat.write(_edited(solution, edits), out / f"{name}.ipynb")
    nbformat.write(_edited(solution, [(
        '    fig, ax = plt.subplots(figsize=(6, 3.5))\n    ax.hist(spotify["popularity"]',
        '    while True:  # a loop that never ends\n        pass\n'
        '    fig, ax = plt.subplots(figsize=(6, 3.5))\n    ax.hist(spotify["popularity"]')]),
        out / "infinite-loop.ipynb")
    crash = nbformat.read(solution, as_version=4)
    middle = next(i for i, c in enumerate(crash.cells) if "no_pooled_fit = fit_no_pooled" in c.source)
    crash.cells.insert(middle + 1, nbformat.v4.new_code_cell("import os\nos._exit(3)",
                                                             id="kernel-exit"))
    nbformat.write(crash, out / "kernel-exit.ipynb")
    text = solution.read_text()
    (out / "malformed.ipynb").write_text(text[: len(text) // 2])
    (out / "empty.ipynb").write_text("")
    other = nbformat.read(solution, as_version=4)
    other.metadata.setdefault("otter", {})["assignment_name"] = "another-assignment"
    nbformat.write(other, out / "other-assignment.ipynb")
    (out / "notes.txt").write_text("I could not get nutpie to install, sorry!\n")
    with zipfile.ZipFile(out / "otter-export.zip", "w") as zf:
        # A fixed timestamp: the same build gives the same bytes.
        zf.writestr(zipfile.ZipInfo(solution.name, date_time=(1980, 1, 1, 0, 0, 0)),
                    solution.read_bytes())
    return EXPECTED
