"""Exercise 15d: pooling weights from the posterior."""

from poolside.grading.checks import check

from autograder.reading import call, public_checks, table_of

# The reference posterior, then one with sigma_mu halved: a function that reads the student's
# own fit instead of its argument passes the first and fails the second. Both stay close to the
# real posterior (wide=False): the worked pair's weights are the ones students see.
POOLING = (("q15d-first", 1.0, ""),
           ("q15d-second", 0.5,
            " (This was on a second posterior the grader made, with sigma_mu halved.)"))


def _probes(g):
    entries = []
    for key, factor, _ in POOLING:
        arg, _ = g.posterior(key, "hierarchical", wide=False, scale={"sigma_mu": factor})
        entries.append(call(key, "pooling_weights", arg, g.frame("artist_means"),
                            returns="frame"))
    return entries


@check("q15d", points=3, public=True, probes=_probes)
def test_pooling_weights(grading, reports):
    """pooling weights match the posterior given"""
    tables = [table_of(reports, key, "pooling_weights", "the DataFrame of weights")
              for key, _, _ in POOLING]
    public_checks.check_pooling_weights(tables, [grading.made(key) for key, _, _ in POOLING],
                                        [context for _, _, context in POOLING],
                                        grading.artist_means)
