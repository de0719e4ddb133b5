"""Exercise 6: popularity by artist."""

from poolside.grading.checks import check

from autograder.reading import axes_of, call, public_checks


@check("q6", points=2, public=True, probes=lambda g: [
    call("plot_popularity_by_artist", "plot_popularity_by_artist", g.frame("spotify"),
         returns="axes")])
def test_by_artist_plot(grading, reports):
    """the by-artist plot shows every artist's whole distribution"""
    what = "plot_popularity_by_artist"
    public_checks.check_by_artist_plot(axes_of(reports, what, what), grading.spotify,
                                       grading.artists)
