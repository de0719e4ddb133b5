import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from poolside.grading import plot_check  # noqa: E402
from poolside.grading.feedback import GradingError  # noqa: E402
from poolside.grading.sandboxed import probes, wire  # noqa: E402


def report(value) -> dict:
    """What the probe reports for a function that returned ``value``, after the wire."""
    reported = {"outcome": "returned", "is_none": value is None}
    if value is not None:
        reported["value"] = probes.describe_return(value, "axes")
    return wire.roundtrip(reported)


def shown(ax) -> plot_check.Shown:
    return plot_check.read(report(ax), "f")


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def test_read_explains_a_missing_return():
    with pytest.raises(GradingError, match="returned None"):
        plot_check.read(report(None), "plot_popularity")


def test_read_rejects_a_figure(ax):
    with pytest.raises(GradingError, match="Axes"):
        plot_check.read(report(ax.figure), "plot_popularity")


def test_read_rejects_a_description_that_is_not_plain_geometry(ax):
    forged = report(ax)
    forged["value"]["lines"] = [{"xy": "everything", "linestyle": "-", "marker": ""}]
    with pytest.raises(GradingError, match="could not be read"):
        plot_check.read(forged, "plot_popularity")


def test_histogram_bins_reads_a_histogram(ax, rng):
    values = rng.normal(size=100)
    ax.hist(values, bins=10)
    assert sum(height for _, _, height in plot_check.histogram_bins(shown(ax))) == 100


def test_require_label_is_case_insensitive_and_names_the_axis(ax):
    ax.set_xlabel("Song Popularity")
    plot_check.require_label(shown(ax), ["popularity"], "f", axis="x")
    with pytest.raises(GradingError, match="the y axis"):
        plot_check.require_label(shown(ax), ["popularity"], "f", axis="y")


def test_interval_segments_reads_vlines_and_errorbars(ax):
    ax.vlines([0, 1], [1, 2], [3, 4])
    ax.errorbar([2], [5], yerr=[[1], [2]], fmt="none")
    segments = sorted(plot_check.interval_segments(shown(ax)))
    assert segments == [(0, 1, 3), (1, 2, 4), (2, 4, 7)]


def test_marker_values_ignores_connected_lines(ax):
    ax.plot([0, 1], [5, 6], "o")
    ax.plot([0, 1], [7, 8], "-")
    ax.scatter([0, 1], [9, 10])
    found = [tuple(m[:, 1]) for m in plot_check.marker_values(shown(ax))]
    assert sorted(found) == [(5, 6), (9, 10)]


def test_dashed_horizontal_levels_finds_axhline(ax):
    ax.axhline(58.4, linestyle="--")
    ax.axhline(10, linestyle="-")
    assert plot_check.dashed_horizontal_levels(shown(ax)) == [58.4]


def test_named_categories_reads_ticks_and_legend(ax):
    ax.plot([0, 1], [0, 1], label="Beyoncé")
    ax.legend()
    ax.set_xticks([0, 1], ["Mia X", "Camilo"])
    assert plot_check.named_categories(shown(ax), ["Mia X", "Camilo", "Beyoncé", "Nobody"]) == 3


def test_filled_spans_counts_fill_between(ax):
    x = np.linspace(0, 1, 10)
    ax.fill_between(x, 0, x)
    assert len(plot_check.filled_spans(shown(ax))) == 1



def test_a_plot_of_too_many_points_is_refused_without_reading_them():
    from poolside.grading.plot_check import MAX_POINTS, read

    many = np.zeros((MAX_POINTS + 1, 2))
    report = {"value": {"type_ok": True, "xlabel": "", "ylabel": "", "xticks": [], "yticks": [],
                        "legend": [], "patches": [], "segments": [], "polygons": [],
                        "offsets": [], "lines": [{"xy": many, "linestyle": "-", "marker": ""}]}}
    with pytest.raises(GradingError, match="more than any"):
        read(report, "plot_popularity")


def test_bars_outlined_again_with_step_are_one_histogram():
    from poolside.grading.plot_check import histogram_bins, read
    from poolside.grading.sandboxed.describe import axes

    fig, ax = plt.subplots()
    counts, edges, _ = ax.hist(np.arange(10.0), bins=5)
    ax.step(edges, np.append(counts, counts[-1]), where="post")
    bins = histogram_bins(read({"value": {"type_ok": True, **axes(ax)}}, "plot"))
    plt.close(fig)
    assert sum(height for _, _, height in bins) == 10
