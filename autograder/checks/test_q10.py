"""Exercise 10: the distribution of the artists' mean popularity."""

from poolside.grading.checks import check

from autograder.reading import axes_of, call, public_checks


@check("q10", points=2, public=True, probes=lambda g: [
    call("plot_artist_means", "plot_artist_means", g.frame("artist_means"), returns="axes")])
def test_artist_means_plot(grading, reports):
    """the artist means plot counts every artist"""
    what = "plot_artist_means"
    public_checks.check_artist_means_plot(axes_of(reports, what, what), grading.artist_means)
