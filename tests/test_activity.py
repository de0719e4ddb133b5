"""The side-by-side comparison of the three models' predictions shipped to students."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from assignment.activity import compare_predictions, plot_shrinkage  # noqa: E402


def _predictions(artist_means, centres, rng):
    names = [str(a) for a in artist_means["artist"]]
    return pd.DataFrame({a: rng.normal(c, 1.0, 2001) for a, c in zip(names, centres)})


def _three_models(artist_means, rng):
    """Made-up predictions: complete pooled at 58.4, no pooled at each artist's mean, and
    hierarchical halfway between the mean and 52.5."""
    observed = artist_means["popularity"].to_numpy()
    return compare_predictions(artist_means, {
        "complete pooled": _predictions(artist_means, np.full(len(observed), 58.4), rng),
        "no pooled": _predictions(artist_means, observed, rng),
        "hierarchical": _predictions(artist_means, 0.5 * (observed + 52.5), rng),
    })


def test_compare_predictions_puts_each_models_median_beside_the_count(artist_means, rng):
    observed = artist_means["popularity"].to_numpy()
    table = _three_models(artist_means, rng)
    assert list(table.columns) == ["count", "observed", "complete pooled", "no pooled",
                                   "hierarchical", "pulled"]
    assert table.loc["Frank Ocean", "count"] == 40
    assert np.allclose(table["no pooled"], observed, atol=0.2)
    # Mia X (13) is pulled up by about half her distance to 52.5.
    assert np.isclose(table.loc["Mia X", "pulled"], -(52.5 - 13.25) / 2, atol=0.3)


def test_plot_shrinkage_draws_every_artist_with_its_song_count(artist_means, rng):
    table = _three_models(artist_means, rng)
    top, bottom = plot_shrinkage(table, population_mean=52.5)
    try:
        assert len(bottom.patches) == len(table)
        labels = [t.get_text() for t in bottom.get_xticklabels()]
        assert "Frank Ocean (40)" in labels and "Sean Kingston (2)" in labels
        levels = sorted(float(line.get_ydata()[0]) for line in top.get_lines())
        assert np.isclose(levels[0], 52.5) and np.isclose(levels[1], 58.4, atol=0.2)
    finally:
        plt.close(top.figure)
