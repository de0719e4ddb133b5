"""Turn what a student's code returned into plain data (see :mod:`.wire`).

Only the facts the checks read are kept: for a plot, the geometry of what the Axes draws and
its text; for a table, its columns as arrays; for a model, its variables and its log-density at
points the grader chose; for a fit, its draws and the log-density the sampler recorded.
"""

from __future__ import annotations

import numpy as np

__all__ = ["axes", "frame", "to_frame", "model", "terms_at", "fit", "MAX_POINTS"]

#: Plenty for any of the exercises' plots (a violin of 44 artists has about 10,000 points).
MAX_POINTS = 200_000


def _xy(points) -> np.ndarray:
    return np.asarray(points, dtype=float).reshape(-1, 2)


def axes(ax) -> dict:
    """Geometry and text of a matplotlib Axes, however it was drawn."""
    from matplotlib.collections import LineCollection, PathCollection, PolyCollection
    from matplotlib.patches import Rectangle

    shown = {
        "xlabel": str(ax.get_xlabel()), "ylabel": str(ax.get_ylabel()),
        "xticks": [[str(t.get_text()), float(t.get_position()[0])]
                   for t in ax.get_xticklabels()],
        "yticks": [[str(t.get_text()), float(t.get_position()[1])]
                   for t in ax.get_yticklabels()],
        "legend": [], "lines": [], "patches": [], "segments": [], "polygons": [],
        "offsets": [],
    }
    legend = ax.get_legend()
    if legend is not None:
        shown["legend"] = [str(t.get_text()) for t in legend.get_texts()]
    for line in ax.get_lines():
        # The path as drawn: a "steps" drawstyle (ArviZ's histograms) becomes its staircase.
        shown["lines"].append({"xy": _xy(line.get_path().vertices),
                               "linestyle": str(line.get_linestyle()),
                               "marker": str(line.get_marker())})
    for patch in ax.patches:
        path = patch.get_path().transformed(patch.get_patch_transform())
        rect = None
        if isinstance(patch, Rectangle):
            rect = [float(patch.get_x()), float(patch.get_width()), float(patch.get_height())]
        shown["patches"].append({"rect": rect, "vertices": _xy(path.vertices),
                                 "fill": bool(patch.get_fill())})
    for coll in ax.collections:
        if isinstance(coll, LineCollection):
            shown["segments"].append({
                "lines": [_xy(seg) for seg in coll.get_segments()],
                "dashed": any(dashes is not None for _, dashes in coll.get_linestyle()),
            })
        elif isinstance(coll, PolyCollection):
            shown["polygons"].extend(_xy(p.vertices) for p in coll.get_paths())
        elif isinstance(coll, PathCollection):
            shown["offsets"].append(_xy(coll.get_offsets()))
    return shown


def frame(table) -> dict:
    """A DataFrame as plain data: index labels (None for a default range), column names, one
    array per column, and the categories of categorical columns."""
    import pandas as pd

    columns, categorical = {}, {}
    for i in range(table.shape[1]):
        column = table.iloc[:, i]
        if isinstance(column.dtype, pd.CategoricalDtype):
            categorical[str(i)] = {"categories": [str(c) for c in column.cat.categories],
                                   "ordered": bool(column.cat.ordered)}
            values = column.cat.codes.to_numpy()
        else:
            values = np.asarray(column.to_numpy())
            if values.dtype.kind not in "biuf":
                values = values.astype(str)
        columns[str(i)] = values
    default = isinstance(table.index, pd.RangeIndex) and table.index.start == 0 \
        and table.index.step == 1
    return {"index": None if default else [str(x) for x in table.index],
            "names": [str(c) for c in table.columns], "columns": columns,
            "categorical": categorical}


def to_frame(spec: dict):
    """The DataFrame :func:`frame` described; ``ValueError`` if the description is not one."""
    import pandas as pd

    names = [str(n) for n in spec["names"]]
    data = {}
    length = None
    for i, name in enumerate(names):
        values = np.asarray(spec["columns"][str(i)])
        if values.ndim != 1 or (length is not None and len(values) != length):
            raise ValueError("columns of different lengths")
        length = len(values)
        category = spec.get("categorical", {}).get(str(i))
        if category is not None:
            values = pd.Categorical.from_codes(values.astype(int),
                                               categories=[str(c) for c in category["categories"]],
                                               ordered=bool(category["ordered"]))
        data[i] = values
    index = spec.get("index")
    if index is not None:
        index = [str(x) for x in index]
        if length is not None and len(index) != length:
            raise ValueError("index and columns differ in length")
    table = pd.DataFrame(data, index=index)
    table.columns = names
    return table


def model(model, points: dict, artists: list[str]) -> dict:
    """Free and observed variables of a PyMC model, and every variable's log-density term at
    the grader's ``points`` (natural scale, no value transforms).

    ``points`` maps a variable name to one value per point; ``"__open__"`` is used for a free
    variable whose name the grader cannot know (a non-centred offset). Per-artist values come
    in the order of ``artists`` and are reordered to the model's own ``coords`` if it has them.
    """
    import pymc as pm
    from pymc.model.transform.conditioning import remove_value_transforms

    if not isinstance(model, pm.Model):
        return {"is_model": False, "type": type(model).__name__[:80]}
    observed = list(model.observed_RVs)
    described = {
        "is_model": True,
        "free": [rv.name for rv in model.free_RVs],
        "observed": [rv.name for rv in observed],
        "transforms": {rv.name: type(model.rvs_to_transforms.get(rv)).__name__
                       for rv in model.free_RVs},
        "coords": {},
    }
    for rv in model.free_RVs:
        dims = model.named_vars_to_dims.get(rv.name)
        if dims:
            described["coords"][rv.name] = [str(x) for x in model.coords.get(dims[0], ()) or ()]
    if len(observed) != 1:
        return described
    described["observed_data"] = np.asarray(
        model.rvs_to_values[observed[0]].eval(), dtype=float).ravel()
    plain = remove_value_transforms(model)
    shapes = {name: np.shape(value) for name, value in plain.initial_point().items()}
    described["shapes"] = {name: list(shape) for name, shape in shapes.items()}
    n = len(next(iter(points.values())))
    position = {a: i for i, a in enumerate(artists)}
    values = []
    for k in range(n):
        point = {}
        for name, shape in shapes.items():
            value = np.asarray(points.get(name, points["__open__"])[k], dtype=float)
            labels = described["coords"].get(name)
            if labels and sorted(labels) == sorted(artists) and labels != list(artists):
                value = value[[position[label] for label in labels]]
            if value.shape != tuple(shape):
                return described  # the grader explains the shape from "shapes"
            point[name] = value
        values.append(point)
    described["terms"] = terms_at(plain, values)
    return described


#: How log-density terms are compiled, on both sides of the wall: they are evaluated at a few
#: points only, and PyTensor's FAST_COMPILE (few rewrites, Python thunks) compiles in a tenth
#: of the time of its default mode, spares the grader Numba's start-up (about 0.6 CPU-s) and
#: runs any Op; at these points it agrees with the default mode to about 1e-15
#: (tests/test_model_check.py).
TERMS_MODE = "FAST_COMPILE"


def terms_at(plain, values: list[dict], mode: str | None = TERMS_MODE) -> dict[str, np.ndarray]:
    """Each variable's log-density term of a model without value transforms, at each point.

    One compiled function for every term (the graph built and compiled once, not once per
    variable: a third of the time for the hierarchical model). ``mode`` is PyTensor's
    compilation mode (None: its default)."""
    import pytensor.tensor as pt

    rvs = [*plain.free_RVs, *plain.observed_RVs]
    logps = plain.logp(vars=rvs, jacobian=False, sum=False)
    fn = plain.compile_fn([pt.sum(term) for term in logps], point_fn=True, mode=mode)
    rows = [fn(point) for point in values]
    return {rv.name: np.array([float(row[i]) for row in rows]) for i, rv in enumerate(rvs)}


def fit(idata) -> dict:
    """The posterior draws of a fit and the log-density its sampler recorded."""
    import xarray as xr

    if not isinstance(idata, xr.DataTree) or "posterior" not in idata.children:
        return {"is_fit": False, "type": type(idata).__name__[:80]}
    posterior = idata.posterior.ds
    draws, dims, coords = {}, {}, {}
    for name, var in posterior.data_vars.items():
        if var.dtype.kind in "biuf" and var.ndim >= 2:
            draws[str(name)] = np.asarray(var.values, dtype=float)
            dims[str(name)] = [str(d) for d in var.dims]
    for name in posterior.coords:
        if name not in ("chain", "draw"):
            coords[str(name)] = np.asarray(posterior.coords[name].values).astype(str)
    recorded = None
    if "sample_stats" in idata.children:
        stats = idata.sample_stats.ds
        for name in ("logp", "lp"):
            if name in stats:
                recorded = np.asarray(stats[name].values, dtype=float)
                break
    return {"is_fit": True, "draws": draws, "dims": dims, "coords": coords, "lp": recorded}
