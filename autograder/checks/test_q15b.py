"""Exercise 15b: the shrinkage table."""

from poolside.grading.checks import check

from autograder.reading import call, public_checks, table_of

ARTISTS = ["Sean Kingston", "Frank Ocean"]


def _probes(g):
    arg, _ = g.predictions("q15b", "hierarchical", g.artists)
    return [call("q15b", "shrinkage_table", g.frame("artist_means"), arg, ARTISTS,
                 returns="frame")]


@check("q15b", points=3, public=True, probes=_probes)
def test_shrinkage_table(grading, reports):
    """the shrinkage table reports counts, means and shrinkage"""
    table = table_of(reports, "q15b", "shrinkage_table", "the table")
    public_checks.check_shrinkage_table(table, grading.artist_means, grading.made("q15b"),
                                        ARTISTS)
