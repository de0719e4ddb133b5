"""Exercise 14: hierarchical intervals with the complete pooled median."""

import numpy as np

from poolside.grading.checks import check

from autograder.reading import axes_of, call, public_checks

#: How far the complete pooled stand-in is moved from the real fit's mu (either way): a line
#: drawn from the notebook's own predictions (about 58.4) instead of the argument is then at
#: least this far from the one asked for, not a few hundredths from it one grading in ten.
Q14_SHIFT = (6.0, 15.0)


def _probes(g):
    hier, _ = g.predictions("q14-hierarchical", "hierarchical", g.artists)
    rng = np.random.default_rng(g.seed_for("q14-shift"))
    offset = rng.choice([-1.0, 1.0]) * rng.uniform(*Q14_SHIFT)
    complete, _ = g.predictions("q14-complete", "complete_pooled", g.artists[:3],
                                shift={"mu": offset})
    return [call("plot_hierarchical_intervals", "plot_hierarchical_intervals", hier,
                 g.frame("artist_means"), complete, returns="axes")]


@check("q14", points=2, public=True, probes=_probes)
def test_hierarchical_plot(grading, reports):
    """the hierarchical plot adds the complete pooled median, dashed"""
    what = "plot_hierarchical_intervals"
    public_checks.check_hierarchical_plot(axes_of(reports, what, what),
                                          grading.made("q14-hierarchical"),
                                          grading.made("q14-complete"), grading.artist_means)
