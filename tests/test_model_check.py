import numpy as np
import pymc as pm
import pytest

from assignment.activity import prior_constants
from poolside.grading import model_check
from poolside.grading.feedback import GradingError
from tests.project import REGISTRY as registry
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


def test_check_model_names_a_wrong_prior_constant_and_how_far_off_it_is(spotify):
    # The policy for constants: exact, and when one is off the message says which and by how
    # much. The exercise prints every constant (PRIOR), so naming them gives nothing away.
    with pytest.raises(GradingError, match="`mu`") as err:
        _check(_complete(spotify, mu_scale=10.0), "complete_pooled", spotify)
    assert "standard deviation is 10, not the exercise's 51.6 (-80.62%)" in str(err.value)


def test_a_prior_of_another_family_is_said_to_be_one_without_its_constants(spotify):
    PRIOR = prior_constants(spotify)
    with pm.Model() as model:
        pm.Normal("mu", PRIOR["mu_loc"], PRIOR["mu_scale"])
        pm.HalfNormal("sigma", 20.0)
        pm.Normal("popularity", model["mu"], model["sigma"],
                  observed=spotify["popularity"].to_numpy())
    with pytest.raises(GradingError, match="not the exponential distribution") as err:
        _check(model, "complete_pooled", spotify)
    assert "20" not in str(err.value)


def test_prior_constants_are_read_off_a_log_density_exactly_or_not_at_all():
    from scipy import stats

    x = np.array([0.5, 3.0, 7.0, 12.0, 29.0])
    normal = model_check.prior_constants_of(x, stats.norm(58.4, 51.6).logpdf(x))
    assert np.isclose(normal["mean"], 58.4) and np.isclose(normal["sd"], 51.6)
    rate = model_check.prior_constants_of(x, stats.expon(scale=1 / 0.048).logpdf(x))
    assert rate["family"] == "exponential" and np.isclose(rate["rate"], 0.048)
    assert model_check.prior_constants_of(x, stats.gamma(2.0).logpdf(x)) is None
    assert model_check.prior_constants_of(x[:3], x[:3]) is None


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


@pytest.mark.parametrize("kind", ["complete_pooled", "no_pooled", "hierarchical"])
def test_fast_compiled_terms_are_the_default_modes(spotify, artist_means, kind):
    # Terms are compiled with FAST_COMPILE: at test points drawn as grading draws them, they
    # are the log-density PyTensor's default mode gives.
    import pytensor

    from poolside.grading.sandboxed import describe

    reference = candidates(kind, spotify)[0](None)
    points = model_check.test_points([reference], list(artist_means["artist"]), seed=11)
    values = [{name: points[name][i] for name in reference.free} for i in range(5)]
    plain = model_check._plain(reference.model)
    fast = describe.terms_at(plain, values)
    default = describe.terms_at(plain, values, mode=pytensor.config.mode)
    for name in default:
        np.testing.assert_allclose(fast[name], default[name], rtol=1e-12)
    assert describe.TERMS_MODE == model_check.JUDGE_MODE == "FAST_COMPILE"
