import numpy as np
import pymc as pm
import pytest

from assignment.activity import prior_constants
from poolside.grading.feedback import GradingError
from autograder.questions import REGISTRY as registry
from solutions.models import candidates, hierarchical_noncentered, no_pooled


def _check(model, kind, spotify):
    """The registry's model case for ``kind``, on ``model`` as the notebook's fit."""
    registry.check(f"the {kind.replace('_', ' ')} model has the priors and likelihood asked for",
                   {f"{kind}_fit": (model, None)})


def _complete(spotify, mu_scale=None, variance=False, observed=True, gamma=False):
    prior = prior_constants(spotify)
    y = spotify["popularity"].to_numpy()
    with pm.Model() as model:
        mu = pm.Normal("mu", prior["mu_loc"], mu_scale or prior["mu_scale"])
        sigma = (pm.Gamma("sigma", alpha=1.0, beta=prior["sigma_rate"]) if gamma
                 else pm.Exponential("sigma", prior["sigma_rate"]))
        pm.Normal("popularity", mu, sigma**2 if variance else sigma,
                  observed=y if observed else None)
    return model


@pytest.mark.parametrize("kind", ["complete_pooled", "no_pooled", "hierarchical"])
def test_check_model_accepts_the_reference(spotify, kind):
    _check(candidates(kind, spotify)[0](None).model, kind, spotify)


@pytest.mark.parametrize("offset", ["z_j", "offset", "eta"])
def test_check_model_accepts_noncentred_hierarchical_with_any_offset_name(spotify, offset):
    _check(hierarchical_noncentered(spotify, offset).model, "hierarchical", spotify)


def test_check_model_accepts_an_equivalent_distribution(spotify):
    _check(_complete(spotify, gamma=True), "complete_pooled", spotify)


def test_check_model_rejects_a_wrong_prior_scale_without_giving_it_away(spotify):
    with pytest.raises(GradingError, match="`mu`") as err:
        _check(_complete(spotify, mu_scale=10.0), "complete_pooled", spotify)
    assert "51" not in str(err.value) and "10" not in str(err.value)


def test_check_model_rejects_sigma_used_as_a_variance(spotify):
    with pytest.raises(GradingError, match="likelihood"):
        _check(_complete(spotify, variance=True), "complete_pooled", spotify)


def test_check_model_rejects_a_model_without_observed_data(spotify):
    with pytest.raises(GradingError, match="no observed variable"):
        _check(_complete(spotify, observed=False), "complete_pooled", spotify)


def test_check_model_rejects_no_pooled_posing_as_hierarchical(spotify):
    with pytest.raises(GradingError, match="lacks the free variable"):
        _check(no_pooled(spotify).model, "hierarchical", spotify)


def test_check_model_rejects_something_that_is_not_a_model(spotify):
    with pytest.raises(GradingError, match="pm.Model"):
        _check(None, "complete_pooled", spotify)


def _no_pooled_with(spotify, order, codes):
    prior = prior_constants(spotify)
    with pm.Model(coords={"artist": order}) as model:
        mu_j = pm.Normal("mu_j", 0.0, prior["artist_scale"].loc[order].to_numpy(), dims="artist")
        sigma = pm.Exponential("sigma", prior["sigma_rate"])
        pm.Normal("popularity", mu_j[codes], sigma, observed=spotify["popularity"].to_numpy())
    return model


def test_check_model_follows_the_students_artist_coords(spotify):
    # Artists in order of appearance (pd.factorize) instead of by mean: same model.
    codes, uniques = spotify["artist"].astype(str).factorize()
    _check(_no_pooled_with(spotify, list(uniques), codes), "no_pooled", spotify)


def test_check_model_rejects_songs_given_to_the_wrong_artists(spotify):
    order = [str(a) for a in spotify["artist"].cat.categories]
    codes = np.random.default_rng(0).permutation(spotify["artist"].cat.codes.to_numpy())
    with pytest.raises(GradingError, match="likelihood"):
        _check(_no_pooled_with(spotify, order, codes), "no_pooled", spotify)
