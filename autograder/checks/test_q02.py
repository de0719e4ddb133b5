"""Exercise 2: the distribution of popularity over all songs."""

from poolside.grading.checks import check

from autograder.reading import axes_of, call, public_checks


@check("q2", points=2, public=True, probes=lambda g: [
    call("plot_popularity", "plot_popularity", g.frame("spotify"), returns="axes")])
def test_popularity_plot(grading, reports):
    """the popularity plot counts every song and labels the axis"""
    public_checks.check_popularity_plot(
        axes_of(reports, "plot_popularity", "plot_popularity"), grading.spotify)
