"""Read what a matplotlib Axes shows, tolerant of style: colours, widths and titles are free."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from .feedback import GradingError

__all__ = [
    "require_axes",
    "require_label",
    "dashed_horizontal_levels",
    "histogram_bins",
    "interval_segments",
    "marker_values",
    "named_categories",
    "filled_spans",
    "vertices",
    "category_positions",
    "spans_at",
]


def require_axes(ax, what: str) -> Axes:
    if ax is None:
        raise GradingError(f"`{what}` returned None: finish the function and `return ax`.")
    if not isinstance(ax, Axes):
        raise GradingError(
            f"`{what}` should return a matplotlib Axes (for example `fig, ax = plt.subplots()` "
            f"... `return ax`), not `{type(ax).__name__}`."
        )
    return ax


def require_label(ax: Axes, words: Iterable[str], what: str, axis: str = "either") -> None:
    """Some axis label mentions one of ``words`` (case-insensitive)."""
    labels = {"x": [ax.get_xlabel()], "y": [ax.get_ylabel()]}
    shown = labels["x"] + labels["y"] if axis == "either" else labels[axis]
    text = " ".join(shown).lower()
    if not any(w.lower() in text for w in words):
        where = "an axis" if axis == "either" else f"the {axis} axis"
        raise GradingError(f"In `{what}`, label {where} with what it shows (e.g. "
                           f"'{next(iter(words))}').")


def dashed_horizontal_levels(ax: Axes) -> list[float]:
    """The y value of every dashed (or dotted) horizontal line: ``axhline``/``plot`` lines and
    ``hlines`` segments alike."""
    levels = []
    for line in ax.get_lines():
        if line.get_linestyle() in ("--", "-.", ":", "dashed", "dashdot", "dotted"):
            y = np.asarray(line.get_ydata(), dtype=float)
            if y.size and np.allclose(y, y[0]):
                levels.append(float(y[0]))
    for coll in ax.collections:
        if isinstance(coll, LineCollection) and any(
                dashes is not None for _, dashes in coll.get_linestyle()):
            for seg in coll.get_segments():
                seg = np.asarray(seg, dtype=float)
                if len(seg) >= 2 and np.allclose(seg[:, 1], seg[0, 1]):
                    levels.append(float(seg[0, 1]))
    return levels


def histogram_bins(ax: Axes) -> list[tuple[float, float, float]]:
    """Histogram bins as ``(left, right, height)``, however they were drawn: filled bars
    (``hist``, ``bar``, any ``rwidth``) or outlines (``histtype="step"``, ``stairs``), read as
    the horizontal top edges of every patch."""
    bins = []
    for patch in ax.patches:
        if isinstance(patch, Rectangle):
            if patch.get_height() > 0:
                bins.append((patch.get_x(), patch.get_x() + patch.get_width(),
                             patch.get_height()))
            continue
        v = np.asarray(patch.get_path().transformed(patch.get_patch_transform()).vertices,
                       dtype=float)
        for (x0, y0), (x1, y1) in zip(v[:-1], v[1:]):
            if np.isclose(y0, y1) and y0 > 0 and x1 != x0:
                bins.append((min(x0, x1), max(x0, x1), y0))
    return sorted(bins)


def interval_segments(ax: Axes) -> list[tuple[float, float, float]]:
    """Vertical segments as ``(x, low, high)``, from vlines/errorbar collections or lines."""
    segments = []
    for coll in ax.collections:
        if isinstance(coll, LineCollection):
            for seg in coll.get_segments():
                seg = np.asarray(seg, dtype=float)
                if len(seg) >= 2 and np.allclose(seg[:, 0], seg[0, 0]):
                    segments.append((seg[0, 0], seg[:, 1].min(), seg[:, 1].max()))
    for line in ax.get_lines():
        x = np.asarray(line.get_xdata(), dtype=float)
        y = np.asarray(line.get_ydata(), dtype=float)
        if len(x) == 2 and np.isclose(x[0], x[1]) and not np.isclose(y[0], y[1]):
            segments.append((x[0], y.min(), y.max()))
    return segments


def marker_values(ax: Axes) -> list[np.ndarray]:
    """The (x, y) offsets of each scatter collection or marker-only line."""
    found = []
    for coll in ax.collections:
        if isinstance(coll, PathCollection):
            found.append(np.asarray(coll.get_offsets(), dtype=float))
    for line in ax.get_lines():
        if line.get_marker() not in (None, "None", "", " ") and line.get_linestyle() in (
            "None", "", " ", "none"
        ):
            found.append(np.column_stack([line.get_xdata(), line.get_ydata()]).astype(float))
    return found


def named_categories(ax: Axes, names: Sequence[str]) -> int:
    """How many of ``names`` appear as tick labels or legend entries."""
    shown = {t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()}
    legend = ax.get_legend()
    if legend is not None:
        shown |= {t.get_text() for t in legend.get_texts()}
    return sum(1 for n in names if n in shown)


def lines_with_points(ax: Axes, min_points: int = 20) -> list[Line2D]:
    """Curves (density lines): lines drawn through many points."""
    return [line for line in ax.get_lines() if len(line.get_xdata()) >= min_points]


def vertices(ax: Axes) -> np.ndarray:
    """Every point the Axes draws, in data coordinates, whatever made it: lines, patches
    (bars, boxes, polygons from ``fill``), scatter offsets, polygons from ``fill_between`` or
    violins, and line segments from ``vlines``/``hlines``."""
    found = [np.asarray(line.get_xydata(), dtype=float).reshape(-1, 2)
             for line in ax.get_lines()]
    for patch in ax.patches:
        path = patch.get_path().transformed(patch.get_patch_transform())
        found.append(np.asarray(path.vertices, dtype=float))
    for coll in ax.collections:
        if isinstance(coll, LineCollection):
            found.extend(np.asarray(seg, dtype=float).reshape(-1, 2) for seg in coll.get_segments())
        elif isinstance(coll, PolyCollection):
            found.extend(np.asarray(p.vertices, dtype=float) for p in coll.get_paths())
        elif isinstance(coll, PathCollection):
            found.append(np.asarray(coll.get_offsets(), dtype=float).reshape(-1, 2))
    found = [v for v in found if v.size]
    points = np.concatenate(found) if found else np.empty((0, 2))
    return points[np.isfinite(points).all(axis=1)]


def category_positions(ax: Axes, names: Sequence[str]) -> tuple[int, dict[str, float]]:
    """Which axis carries ``names`` as tick labels (0 for x, 1 for y) and where each sits."""
    best = (0, {})
    for axis, ticks in ((0, ax.get_xticklabels()), (1, ax.get_yticklabels())):
        wanted = set(names)
        where = {t.get_text(): float(t.get_position()[axis]) for t in ticks
                 if t.get_text() in wanted}
        if len(where) > len(best[1]):
            best = (axis, where)
    return best


def spans_at(ax: Axes, names: Sequence[str]) -> dict[str, tuple[float, float]]:
    """For each named category, the range of values drawn within half a slot of its tick."""
    axis, where = category_positions(ax, names)
    points = vertices(ax)
    spans = {}
    for name, position in where.items():
        near = points[np.abs(points[:, axis] - position) < 0.5, 1 - axis]
        if near.size:
            spans[name] = (float(near.min()), float(near.max()))
    return spans


def filled_spans(ax: Axes) -> list[tuple[float, float]]:
    """The x range of every filled region: ``fill_between`` polygons and ``fill`` patches."""
    spans = []
    for coll in ax.collections:
        if isinstance(coll, PolyCollection):
            for path in coll.get_paths():
                if len(path.vertices):
                    spans.append((float(path.vertices[:, 0].min()),
                                   float(path.vertices[:, 0].max())))
    for patch in ax.patches:
        if patch.get_fill() and not isinstance(patch, Rectangle):
            v = patch.get_path().transformed(patch.get_patch_transform()).vertices
            spans.append((float(v[:, 0].min()), float(v[:, 0].max())))
    return spans
