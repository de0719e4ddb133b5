"""Exercise 15b: the shrinkage table."""

import numpy as np

from poolside.grading.checks import check

from autograder.reading import call, public_checks, table_of


def _artists(g) -> list[str]:
    """Three artists drawn for this grading, in the order drawn: the table must be built for
    the artists it is asked for, not for the exercise's two."""
    rng = np.random.default_rng(g.seed_for("q15b-artists"))
    return [str(a) for a in rng.choice(g.artists, size=3, replace=False)]


def _probes(g):
    arg, _ = g.predictions("q15b", "hierarchical", g.artists)
    return [call("q15b", "shrinkage_table", g.frame("artist_means"), arg, _artists(g),
                 returns="frame")]


@check("q15b", points=3, public=True, probes=_probes)
def test_shrinkage_table(grading, reports):
    """the shrinkage table reports counts, means and shrinkage"""
    table = table_of(reports, "q15b", "shrinkage_table", "the table")
    public_checks.check_shrinkage_table(table, grading.artist_means, grading.made("q15b"),
                                        _artists(grading))
