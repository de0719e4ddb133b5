"""The master notebook's solution and public checks, run in this process.

What a student's notebook does, without Jupyter or Otter: each code cell of the master in order
(Otter, the version check, the imports and the export left out), with the variables each
question's ``grader.check`` sees recorded; and the master's public test functions, by name.
Tests use it to check the public checks, benchmarks to call the solution's functions. Where
sampling is not the point, ``reference_draws`` stands in for ``pm.sample``.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import re
import types
from pathlib import Path

import numpy as np

from poolside.master import QUESTION_MARKER as _QUESTION

from . import reference
from .reference import ASSIGNMENT

__all__ = ["run_master", "run_notebook", "run_cells", "public_tests", "call", "reference_draws"]

#: Cells the in-process run leaves out: Otter, the version check, imports, export.
_SKIP = ("grader.", "import otter", "check_versions", "export_submission", "TEST CONFIG")


def _master():
    return json.loads(ASSIGNMENT.master.read_text(encoding="utf-8"))["cells"]


def _helpers_as_students_import_them() -> None:
    """The public checks import the helpers by their flat names, as next to the notebook."""
    import sys

    from assignment import activity, pooling_check, prediction_check, public_checks

    for module in (activity, pooling_check, prediction_check, public_checks):
        sys.modules.setdefault(module.__name__.split(".")[-1], module)


def public_tests() -> dict:
    """Every public test function of the master, by name, with its question."""
    _helpers_as_students_import_them()
    tests, question = {}, None
    for cell in _master():
        source = "".join(cell["source"])
        if cell["cell_type"] == "raw" and _QUESTION.search(source):
            question = _QUESTION.search(source).group(1)
        if cell["cell_type"] == "code" and "# BEGIN TEST CONFIG" in source \
                and re.search(r"^hidden:\s*false", source, re.MULTILINE):
            namespace: dict = {}
            exec(compile(source, f"<public test of {question}>", "exec"), namespace)
            for name, value in namespace.items():
                if name.startswith("test_") and callable(value):
                    tests[name] = (question, value)
    return tests


def call(function, env: dict):
    """Call a public test function as Otter does: each argument is the variable of that name."""
    return function(**{p: env[p] for p in inspect.signature(function).parameters})


_KIND = {("mu", "sigma"): "complete_pooled", ("mu_j", "sigma"): "no_pooled",
         ("mu", "mu_j", "sigma_y", "tau"): "hierarchical"}


def reference_draws(model, chains=4, draws=5000, seed=0, labelled=True):
    """A posterior for ``model`` (one of the three exercises', told apart by its free
    variables): independent normal draws at each stored reference median and sd.

    Enough for checks of centre and spread, and a hundred times cheaper than sampling. With
    ``labelled=False``, ``mu_j``'s artist dimension has no labels, as with ``shape=``.
    """
    import xarray as xr

    kind = _KIND[tuple(sorted(rv.name for rv in model.free_RVs))]
    table = reference.load()[kind]
    rng = np.random.default_rng(seed)
    artists = [k[5:-1] for k in table if k.startswith("mu_j[")]
    data = {}
    for name in {k.split("[")[0] for k in table}:
        keys = [f"mu_j[{a}]" for a in artists] if name == "mu_j" else [name]
        centre = np.array([table[k]["median"] for k in keys])
        sd = np.array([table[k]["mad_sd"] for k in keys])
        values = rng.normal(centre, sd, size=(chains, draws, len(keys)))
        if name == "mu_j":
            dim = "artist" if labelled else "mu_j_dim_0"
            data[name] = xr.DataArray(values, dims=("chain", "draw", dim))
        else:
            data[name] = xr.DataArray(values[..., 0], dims=("chain", "draw"))
    posterior = xr.Dataset(data)
    if labelled and "mu_j" in data:
        posterior = posterior.assign_coords(artist=artists)
    return xr.DataTree.from_dict({"posterior": posterior})


def _pm(sample):
    """PyMC as the notebook sees it, with ``sample`` replaced."""
    import pymc

    return types.SimpleNamespace(**{**vars(pymc), "sample": sample})


def run_master(sample=None) -> dict[str, dict]:
    """The master's solution run in this process, cell by cell.

    ``sample`` replaces ``pm.sample`` (by default :func:`reference_draws`). Returns the
    notebook's variables as each question's ``grader.check`` sees them, by question,
    and after the last cell under ``"end"``: a public check may use only what exists when the
    student runs it. What the cells print is dropped.
    """
    return run_cells(_master(), sample)


def run_notebook(path, sample=None) -> dict:
    """A student's notebook (``path``) run in this process as :func:`run_master` runs the
    master; with ``sample=pymc.sample`` its fits are real. Returns its variables at the end."""
    return run_cells(json.loads(Path(path).read_text(encoding="utf-8"))["cells"], sample)["end"]


def run_cells(cells, sample=None) -> dict[str, dict]:
    """Run notebook ``cells`` here (see :func:`run_master`)."""
    import arviz as az
    import matplotlib.pyplot as plt
    import pandas as pd
    import pymc

    from assignment import activity

    _helpers_as_students_import_them()
    if sample is None:
        def sample(*args, **kwargs):
            return reference_draws(pymc.modelcontext(None))
    env = {"np": np, "pd": pd, "plt": plt, "az": az, "pm": _pm(sample),
           **{name: getattr(activity, name) for name in activity.__all__}}
    seen, question = {}, None
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "raw" and _QUESTION.search(source):
            question = _QUESTION.search(source).group(1)
        if cell["cell_type"] == "raw" and source.strip() == "# BEGIN TESTS":
            seen[question] = dict(env)  # where the student's notebook runs grader.check
        if cell["cell_type"] != "code" or any(mark in source for mark in _SKIP) \
                or source.lstrip().startswith("%"):
            continue
        source = source.replace('load_spotify("spotify.csv")',
                                f'load_spotify({str(ASSIGNMENT.data[0])!r})')
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(source, "<master cell>", "exec"), env)
    seen["end"] = env
    return seen
