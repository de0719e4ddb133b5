"""Read what a plot shows, tolerant of style: colours, widths and titles are free.

The student's side describes the Axes its function returned (:func:`poolside.grading.sandboxed.
describe.axes`); :func:`read` checks that description and every function here reads it, so a
plot drawn with any matplotlib primitive (bars or steps, ``fill`` or ``fill_between``, lines
or ``hlines``) is judged by its geometry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from .feedback import GradingError
from .sandboxed.describe import MAX_POINTS

__all__ = [
    "Shown",
    "read",
    "require_label",
    "dashed_horizontal_levels",
    "histogram_bins",
    "interval_segments",
    "marker_values",
    "named_categories",
    "filled_spans",
    "lines_with_points",
    "vertices",
    "category_positions",
    "spans_at",
    "histogram_gap",
    "curve_gap",
]

DASHED = ("--", "-.", ":", "dashed", "dashdot", "dotted")
NONE = ("None", "", " ", "none")  # matplotlib's ways of saying "no line" or "no marker"


@dataclass
class Line:
    xy: np.ndarray
    linestyle: str
    marker: str


@dataclass
class Patch:
    rect: tuple[float, float, float] | None  # x, width, height of a Rectangle
    vertices: np.ndarray
    fill: bool


@dataclass
class Shown:
    """What one Axes draws, as plain geometry."""

    xlabel: str = ""
    ylabel: str = ""
    xticks: list[tuple[str, float]] = field(default_factory=list)
    yticks: list[tuple[str, float]] = field(default_factory=list)
    legend: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    patches: list[Patch] = field(default_factory=list)
    segments: list[tuple[list[np.ndarray], bool]] = field(default_factory=list)
    polygons: list[np.ndarray] = field(default_factory=list)
    offsets: list[np.ndarray] = field(default_factory=list)


def _points(value) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError("points are not numbers")
    return array.astype(float).reshape(-1, 2)


def _ticks(value) -> list[tuple[str, float]]:
    return [(str(text), float(position)) for text, position in value]


def read(report, what: str) -> Shown:
    """The :class:`Shown` of a probe's report on a function that should return an Axes.

    Raises :class:`GradingError` for a missing return, a value that is not an Axes, or a
    description that is not the plain data the probe writes.
    """
    if report.get("is_none"):
        raise GradingError(f"`{what}` returned None: finish the function and `return ax`.")
    value = report.get("value") or {}
    if not value.get("type_ok"):
        raise GradingError(
            f"`{what}` should return a matplotlib Axes (for example `fig, ax = plt.subplots()` "
            f"... `return ax`), not `{str(value.get('type', '?'))[:80]}`."
        )
    try:
        shown = Shown(
            xlabel=str(value["xlabel"]), ylabel=str(value["ylabel"]),
            xticks=_ticks(value["xticks"]), yticks=_ticks(value["yticks"]),
            legend=[str(t) for t in value["legend"]],
            lines=[Line(_points(d["xy"]), str(d["linestyle"]), str(d["marker"]))
                   for d in value["lines"]],
            patches=[Patch(None if d["rect"] is None else tuple(float(x) for x in d["rect"]),
                           _points(d["vertices"]), bool(d["fill"])) for d in value["patches"]],
            segments=[([_points(s) for s in d["lines"]], bool(d["dashed"]))
                      for d in value["segments"]],
            polygons=[_points(p) for p in value["polygons"]],
            offsets=[_points(p) for p in value["offsets"]],
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise GradingError(f"The plot `{what}` returned could not be read.") from None
    drawn = (sum(len(line.xy) for line in shown.lines)
             + sum(len(patch.vertices) for patch in shown.patches)
             + sum(len(seg) for segments, _ in shown.segments for seg in segments)
             + sum(len(p) for p in shown.polygons) + sum(len(p) for p in shown.offsets))
    if drawn > MAX_POINTS:
        raise GradingError(f"The plot `{what}` returned draws {drawn} points, more than any "
                           f"of these exercises needs ({MAX_POINTS}): plot summaries of the "
                           "draws, not every draw.")
    return shown


def require_label(ax: Shown, words: Iterable[str], what: str, axis: str = "either") -> None:
    """Some axis label mentions one of ``words`` (case-insensitive)."""
    labels = {"x": [ax.xlabel], "y": [ax.ylabel]}
    shown = labels["x"] + labels["y"] if axis == "either" else labels[axis]
    text = " ".join(shown).lower()
    if not any(w.lower() in text for w in words):
        where = "an axis" if axis == "either" else f"the {axis} axis"
        raise GradingError(f"In `{what}`, label {where} with what it shows (e.g. "
                           f"'{next(iter(words))}').")


def dashed_horizontal_levels(ax: Shown) -> list[float]:
    """The y value of every dashed (or dotted) horizontal line: ``axhline``/``plot`` lines and
    ``hlines`` segments alike."""
    levels = []
    for line in ax.lines:
        y = line.xy[:, 1]
        if line.linestyle in DASHED and y.size and np.allclose(y, y[0]):
            levels.append(float(y[0]))
    for segments, dashed in ax.segments:
        if dashed:
            for seg in segments:
                if len(seg) >= 2 and np.allclose(seg[:, 1], seg[0, 1]):
                    levels.append(float(seg[0, 1]))
    return levels


def histogram_bins(ax: Shown) -> list[tuple[float, float, float]]:
    """Histogram bins as ``(left, right, height)``, however they were drawn: filled bars
    (``hist``, ``bar``, any ``rwidth``), outlines (``histtype="step"``, ``stairs``) or a
    staircase line (``drawstyle="steps-post"``, as ArviZ draws them), read as the horizontal
    top edges of every patch and staircase."""
    bins = []
    for patch in ax.patches:
        if patch.rect is not None:
            x, width, height = patch.rect
            if height > 0:
                bins.append((x, x + width, height))
            continue
        bins.extend(_top_edges(patch.vertices))
    for line in ax.lines:  # a staircase line (drawstyle "steps-*") outlines bins too
        v = line.xy
        steps = np.diff(v, axis=0)
        if line.linestyle not in NONE and len(v) >= 4 \
                and np.all(np.isclose(steps[:, 0], 0) | np.isclose(steps[:, 1], 0)):
            bins.extend(_top_edges(v))
    # Bars drawn twice (filled, then outlined with ax.step) are one histogram, not two.
    return sorted({(round(left, 9), round(right, 9), round(height, 12))
                   for left, right, height in bins})


def _top_edges(v: np.ndarray) -> list[tuple[float, float, float]]:
    x0, y0, x1, y1 = v[:-1, 0], v[:-1, 1], v[1:, 0], v[1:, 1]
    keep = np.isclose(y0, y1) & (y0 > 0) & (x1 != x0)
    return list(zip(np.minimum(x0, x1)[keep].tolist(), np.maximum(x0, x1)[keep].tolist(),
                    y0[keep].tolist()))


def interval_segments(ax: Shown) -> list[tuple[float, float, float]]:
    """Vertical segments as ``(x, low, high)``, from vlines/errorbar collections or lines."""
    found = []
    for segments, _ in ax.segments:
        for seg in segments:
            if len(seg) >= 2 and np.allclose(seg[:, 0], seg[0, 0]):
                found.append((seg[0, 0], seg[:, 1].min(), seg[:, 1].max()))
    for line in ax.lines:
        x, y = line.xy[:, 0], line.xy[:, 1]
        if len(x) == 2 and np.isclose(x[0], x[1]) and not np.isclose(y[0], y[1]):
            found.append((x[0], y.min(), y.max()))
    return found


def marker_values(ax: Shown) -> list[np.ndarray]:
    """The (x, y) offsets of each scatter collection or marker-only line."""
    found = list(ax.offsets)
    for line in ax.lines:
        if line.marker not in NONE and line.linestyle in NONE:
            found.append(line.xy)
    return found


def named_categories(ax: Shown, names: Sequence[str]) -> int:
    """How many of ``names`` appear as tick labels or legend entries."""
    shown = {t for t, _ in ax.xticks + ax.yticks} | set(ax.legend)
    return sum(1 for n in names if n in shown)


def lines_with_points(ax: Shown, min_points: int = 20) -> list[Line]:
    """Curves (density lines): lines drawn through many points (markers alone, such as a
    rug, are not a curve)."""
    return [line for line in ax.lines
            if len(line.xy) >= min_points and line.linestyle not in NONE]


def vertices(ax: Shown) -> np.ndarray:
    """Every point the Axes draws, in data coordinates, whatever made it: lines, patches
    (bars, boxes, polygons from ``fill``), scatter offsets, polygons from ``fill_between`` or
    violins, and line segments from ``vlines``/``hlines``."""
    found = [line.xy for line in ax.lines] + [p.vertices for p in ax.patches]
    for segments, _ in ax.segments:
        found.extend(segments)
    found += ax.polygons + ax.offsets
    found = [v for v in found if v.size]
    points = np.concatenate(found) if found else np.empty((0, 2))
    return points[np.isfinite(points).all(axis=1)]


def category_positions(ax: Shown, names: Sequence[str]) -> tuple[int, dict[str, float]]:
    """Which axis carries ``names`` as tick labels (0 for x, 1 for y) and where each sits."""
    best = (0, {})
    for axis, ticks in ((0, ax.xticks), (1, ax.yticks)):
        wanted = set(names)
        where = {text: position for text, position in ticks if text in wanted}
        if len(where) > len(best[1]):
            best = (axis, where)
    return best


def spans_at(ax: Shown, names: Sequence[str]) -> dict[str, tuple[float, float]]:
    """For each named category, the range of values drawn within half a slot of its tick."""
    axis, where = category_positions(ax, names)
    points = vertices(ax)
    spans = {}
    for name, position in where.items():
        near = points[np.abs(points[:, axis] - position) < 0.5, 1 - axis]
        if near.size:
            spans[name] = (float(near.min()), float(near.max()))
    return spans


def filled_spans(ax: Shown) -> list[tuple[float, float]]:
    """The x range of every filled region: ``fill_between`` polygons and ``fill`` patches."""
    spans = [(float(p[:, 0].min()), float(p[:, 0].max())) for p in ax.polygons if len(p)]
    for patch in ax.patches:
        if patch.fill and patch.rect is None and len(patch.vertices):
            spans.append((float(patch.vertices[:, 0].min()), float(patch.vertices[:, 0].max())))
    return spans


def _ecdf_band(values: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The share of ``values`` below and at-or-below each point of ``at`` (ties at a bin edge
    may be counted on either side)."""
    ordered = np.sort(np.asarray(values, dtype=float))
    return (np.searchsorted(ordered, at, side="left") / ordered.size,
            np.searchsorted(ordered, at, side="right") / ordered.size)


def _gap(cdf: np.ndarray, values: np.ndarray, at: np.ndarray) -> float:
    below, upto = _ecdf_band(values, at)
    return float(np.max(np.clip(np.maximum(below - cdf, cdf - upto), 0, None), initial=0.0))


def histogram_gap(bins: Sequence[tuple[float, float, float]], values, width: float | None,
                  density: bool) -> float:
    """How far the histogram drawn is from a histogram of ``values``: the largest difference
    between the share of the data the bars put left of a bin edge and the share that is.

    Zero for a histogram of the data, whatever its bins; a histogram of other numbers, or one
    with extra bars, is far off. ``width`` is the bins' width where bars are narrower than
    their bins (``rwidth``), else None; ``density`` says the heights are densities."""
    bins = sorted(bins)
    n = len(values)
    edges, shares, total = [], [], 0.0
    for left, right, height in bins:
        if width is not None:
            centre = (left + right) / 2
            left, right = centre - width / 2, centre + width / 2
        mass = height * (right - left) if density else height / n
        edges.append(left)
        shares.append(total)
        total += mass
        edges.append(right)
        shares.append(total)
    return _gap(np.array(shares), np.asarray(values, dtype=float), np.array(edges))


def curve_gap(curve: Line, values) -> float:
    """How far a density curve is from the data: the largest difference between the share of
    the curve's area (above its lowest point) left of a point and the share of ``values``
    below it (a kernel density estimate of the data is within a few hundredths; a curve drawn
    without them is not)."""
    xy = curve.xy[np.argsort(curve.xy[:, 0], kind="stable")]
    x, values = xy[:, 0], np.asarray(values, dtype=float)
    gaps = [1.0]
    # Measured from zero, or from its own lowest point where a ridge plot lifts each curve to
    # its row (a density drawn over the data's range only ends well above zero: from zero).
    for y in (np.clip(xy[:, 1], 0, None), xy[:, 1] - xy[:, 1].min()):
        area = np.concatenate([[0.0], np.cumsum((y[1:] + y[:-1]) / 2 * np.diff(x))])
        if area[-1] > 0:
            gaps.append(_gap(area / area[-1], values, x))
    return min(gaps)
