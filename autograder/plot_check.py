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
    "bars",
    "dashed_horizontal_levels",
    "interval_segments",
    "marker_values",
    "named_categories",
    "filled_areas",
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


def bars(ax: Axes) -> list[Rectangle]:
    """Histogram or bar-chart rectangles with a positive height."""
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_height() > 0]


def dashed_horizontal_levels(ax: Axes) -> list[float]:
    """The y value of every dashed (or dotted) horizontal line."""
    levels = []
    for line in ax.get_lines():
        if line.get_linestyle() in ("--", "-.", ":", "dashed", "dashdot", "dotted"):
            y = np.asarray(line.get_ydata(), dtype=float)
            if y.size and np.allclose(y, y[0]):
                levels.append(float(y[0]))
    return levels


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


def filled_areas(ax: Axes) -> list[PolyCollection]:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def lines_with_points(ax: Axes, min_points: int = 20) -> list[Line2D]:
    """Curves (density lines): lines drawn through many points."""
    return [line for line in ax.get_lines() if len(line.get_xdata()) >= min_points]
