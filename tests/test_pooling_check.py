"""Exercise 15d's check: right weights pass; each usual mistake fails with its own message."""

import numpy as np
import pandas as pd
import pytest

from assignment import pooling_check
from autograder import predict_check

from tests.project import REGISTRY as registry
from poolside.grading.feedback import GradingError


def _check(env):
    registry.check("pooling weights match the posterior given", env)


def _table(artist_means, weights):
    return pd.DataFrame({"count": artist_means["count"].to_numpy(), "weight": weights},
                        index=pd.Index([str(a) for a in artist_means["artist"]], name="artist"))


def _per_draw(idata, artist_means, power=2):
    post = idata.posterior
    n = artist_means["count"].to_numpy(float)
    sigma_y = post["sigma_y"].values.reshape(-1, 1)
    sigma_mu = post["sigma_mu"].values.reshape(-1, 1)
    own = n / sigma_y**power
    return own / (own + 1 / sigma_mu**power)


def right(idata, artist_means):
    return _table(artist_means, np.median(_per_draw(idata, artist_means), axis=0))


def standard_deviations(idata, artist_means):
    return _table(artist_means, np.median(_per_draw(idata, artist_means, power=1), axis=0))


def population_share(idata, artist_means):
    return _table(artist_means, 1 - np.median(_per_draw(idata, artist_means), axis=0))


def mean_of_draws(idata, artist_means):
    return _table(artist_means, _per_draw(idata, artist_means).mean(axis=0))


def at_posterior_medians(idata, artist_means):
    post = idata.posterior
    own = artist_means["count"].to_numpy(float) / float(post["sigma_y"].median()) ** 2
    return _table(artist_means, own / (own + 1 / float(post["sigma_mu"].median()) ** 2))


@pytest.fixture
def hierarchical_stand_in(references, artist_means):
    return predict_check.stand_in_posterior(references["hierarchical"],
                                            [str(a) for a in artist_means["artist"]], seed=5,
                                            wide=False)


def test_weights_of_the_worked_pair_rebuild_their_hierarchical_means(references, artist_means,
                                                                       hierarchical_stand_in):
    table = right(hierarchical_stand_in, artist_means)
    kingston, ocean = table.loc["Sean Kingston", "weight"], table.loc["Frank Ocean", "weight"]
    assert 0.6 < kingston < 0.75 and 0.97 < ocean < 0.99
    means = artist_means.set_index(artist_means["artist"].astype(str))["popularity"]
    mu = references["hierarchical"]["mu"]["median"]
    for name in ("Sean Kingston", "Frank Ocean"):
        w = table.loc[name, "weight"]
        rebuilt = w * means[name] + (1 - w) * mu
        assert abs(rebuilt - references["hierarchical"][f"mu_j[{name}]"]["median"]) < 0.5


def test_the_hidden_check_gives_a_right_function_full_marks():
    _check({"pooling_weights": right})


@pytest.mark.parametrize("wrong, message", [
    (standard_deviations, "variances"),
    (population_share, "more songs should get a larger weight"),
    (mean_of_draws, "median, not their mean"),
    (lambda idata, artist_means: print(idata), "returned None"),
    (lambda idata, artist_means: None, "not written yet"),
    (lambda idata, artist_means: right(idata, artist_means).reset_index(), "indexed by artist"),
    (lambda idata, artist_means: right(idata, artist_means).assign(count=1), "number of songs"),
])
def test_the_hidden_check_fails_each_usual_mistake_with_its_own_message(wrong, message):
    with pytest.raises(GradingError, match=message):
        _check({"pooling_weights": wrong})


def test_the_hidden_check_fails_a_function_that_ignores_its_argument(references, artist_means):
    # Even a "fit" identical to the grader's first posterior fails on its second one.
    first = predict_check.stand_in_posterior(references["hierarchical"],
                                             [str(a) for a in artist_means["artist"]], seed=61,
                                             wide=False)
    with pytest.raises(GradingError, match="same weights for two different posteriors"):
        _check({"pooling_weights": lambda idata, am: right(first, am)})


def test_the_tolerance_separates_the_slips_from_the_definition(artist_means, references):
    # The numbers quoted in pooling_check's TOLERANCE comment, on the grader's first posterior.
    first = predict_check.stand_in_posterior(references["hierarchical"],
                                             [str(a) for a in artist_means["artist"]], seed=61,
                                             wide=False)
    good = right(first, artist_means)["weight"]

    def gap(wrong):
        return (wrong(first, artist_means)["weight"] - good).abs().max()

    assert gap(standard_deviations) > 5 * pooling_check.TOLERANCE
    assert gap(mean_of_draws) > 2 * pooling_check.TOLERANCE
    assert gap(at_posterior_medians) < pooling_check.TOLERANCE  # accepted: nearly the same


def test_weights_at_the_posterior_medians_are_accepted():
    _check({"pooling_weights": at_posterior_medians})
