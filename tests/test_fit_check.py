import arviz as az
import numpy as np
import pymc as pm
import pytest

from poolside.grading.feedback import GradingError
from poolside.grading.fit_check import check_provenance, check_summaries
from solutions.models import SAMPLING, complete_pooled, no_pooled

from .test_model_check import _complete


def _sample(model, seed, draws=300, sampler="nutpie"):
    return pm.sample(model=model, draws=draws, tune=draws, chains=2, cores=1, random_seed=seed,
                     nuts_sampler=sampler, progressbar=False)


@pytest.fixture(scope="module")
def small_fit(spotify):
    model = complete_pooled(spotify).model
    return model, _sample(model, seed=3)


@pytest.mark.slow
def test_check_provenance_accepts_a_real_fit(small_fit):
    check_provenance(small_fit[1], small_fit[0], "complete pooled model")


@pytest.mark.slow
def test_check_provenance_accepts_pymcs_own_nuts(spotify):
    model = complete_pooled(spotify).model
    check_provenance(_sample(model, seed=4, draws=100, sampler="pymc"), model, "model")


@pytest.mark.slow
def test_check_provenance_rejects_a_fabricated_inferencedata(small_fit):
    rng = np.random.default_rng(0)
    fake = az.from_dict({"posterior": {"mu": rng.normal(58.4, 1.11, (4, 5000)),
                                   "sigma": rng.normal(20.7, 0.781, (4, 5000))}})
    with pytest.raises(GradingError, match="sampler statistics"):
        check_provenance(fake, small_fit[0], "complete pooled model")


@pytest.mark.slow
def test_check_provenance_rejects_fabricated_sampler_statistics(small_fit):
    fake = small_fit[1].copy()
    fake.sample_stats["logp"] = fake.sample_stats["logp"] + 1.0
    with pytest.raises(GradingError, match="does not come from sampling"):
        check_provenance(fake, small_fit[0], "complete pooled model")


@pytest.mark.slow
def test_check_provenance_rejects_a_log_density_of_minus_infinity(small_fit):
    # tau = 0 in a typed-in fit makes the reference's log-density -inf too: -inf == -inf
    fake = small_fit[1].copy()
    fake.sample_stats["logp"] = fake.sample_stats["logp"] * np.inf
    with pytest.raises(GradingError, match="not finite"):
        check_provenance(fake, small_fit[0], "complete pooled model")


@pytest.mark.slow
def test_check_provenance_rejects_draws_repeated_in_blocks(small_fit):
    # Real draws and their real log-densities, each block of 75 used four times: the effective
    # sample size looks fine and every recorded log-density matches.
    fit = small_fit[1]
    index = np.tile(np.arange(75), 4)
    fake = fit.isel(draw=index).copy()
    with pytest.raises(GradingError, match="repeats its draws"):
        check_provenance(fake, small_fit[0], "complete pooled model")


@pytest.mark.slow
def test_check_provenance_rejects_a_fit_of_another_model(spotify, small_fit):
    other = _complete(spotify, mu_scale=10.0)
    with pytest.raises(GradingError, match="does not come from sampling"):
        check_provenance(_sample(other, seed=5, draws=100), small_fit[0], "model")


def _full_fit(model, seed):
    return pm.sample(model=model, draws=SAMPLING["draws"], tune=SAMPLING["tune"],
                     chains=SAMPLING["chains"], cores=SAMPLING["cores"], random_seed=seed,
                     nuts_sampler=SAMPLING["nuts_sampler"], progressbar=False)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2026])
def test_check_summaries_passes_a_correct_fit_whatever_its_seed(spotify, references,
                                                                artist_means, seed):
    artists = [str(a) for a in artist_means["artist"]]
    idata = _full_fit(no_pooled(spotify).model, seed)
    check_summaries(idata, references["no_pooled"], artists, "no pooled model")


@pytest.mark.slow
def test_check_summaries_fails_sigma_used_as_a_variance(spotify, references, artist_means):
    idata = _full_fit(_complete(spotify, variance=True), 1)
    with pytest.raises(GradingError, match="`sigma`"):
        check_summaries(idata, references["complete_pooled"], [], "complete pooled model")


@pytest.mark.slow
def test_check_summaries_asks_for_more_draws_when_ess_is_tiny(small_fit, references):
    tiny = small_fit[1].sel(draw=slice(0, 20))
    with pytest.raises(GradingError, match="too few effective draws"):
        check_summaries(tiny, references["complete_pooled"], [], "complete pooled model")


@pytest.mark.slow
def test_posterior_predictive_sampling_leaves_the_model_gradable(spotify, artist_means):
    """PyMC 5.28 appended to a model's observed_RVs when sampling the posterior predictive;
    a student who checks their fit that way must keep the model and fit points."""
    from tests.project import REGISTRY as registry

    model = complete_pooled(spotify).model
    idata = _sample(model, seed=6, draws=100)
    with model:
        pm.sample_posterior_predictive(idata, extend_inferencedata=True, random_seed=6,
                                       progressbar=False)
        pm.sample_posterior_predictive(idata, random_seed=7, progressbar=False)
    registry.check("the complete pooled model has the priors and likelihood asked for",
                   {"complete_pooled_fit": (model, idata)})
    check_provenance(idata, model, "complete pooled model")


def test_variable_bands_are_arvizs_diagnostics_scalar_by_scalar():
    from arviz_stats import ess, mcse

    from poolside.grading.fit_check import summary_bands, variable_bands

    rng = np.random.default_rng(7)
    # autocorrelated draws, so that ESS and MCSE are not those of independent draws
    mu_j = rng.normal(size=(4, 500, 5)).cumsum(axis=1) * 0.1 + rng.normal(size=(4, 500, 5))
    idata = az.from_dict({"posterior": {"mu_j": mu_j, "sigma": rng.gamma(5.0, size=(4, 500))}})
    whole = variable_bands(idata, "mu_j")
    for j in range(5):
        draws = mu_j[:, :, j]
        one = summary_bands(idata, "mu_j", j)
        expected = {"median": np.median(draws), "q10": np.quantile(draws, 0.1),
                    "q90": np.quantile(draws, 0.9), "sd": draws.std(),
                    "mcse_median": float(mcse(draws, method="median")),
                    "mcse_q10": float(mcse(draws, method="quantile", prob=0.1)),
                    "mcse_q90": float(mcse(draws, method="quantile", prob=0.9)),
                    "ess": float(ess(draws, method="median"))}
        for key, value in expected.items():
            assert one[key] == pytest.approx(value, rel=1e-12), key
            assert whole[key][j] == pytest.approx(value, rel=1e-12), key
    assert summary_bands(idata, "sigma")["ess"] == pytest.approx(
        float(ess(idata.posterior["sigma"].values, method="median")), rel=1e-12)


@pytest.mark.parametrize("draws,message", [
    ({"mu": np.zeros((2, 50, 3)), "sigma": np.ones((2, 50))}, r"`mu` has shape \(3,\)"),
    ({"sigma": np.ones((2, 50, 2, 2)), "mu": np.zeros((2, 50))}, r"`sigma` has shape \(2, 2\)"),
])
def test_a_fit_whose_variables_have_other_shapes_is_told_so(draws, message):
    from poolside.grading.fit_check import Fit

    reference = {name: {"median": 0, "mad_sd": 1, "mcse_median": 0.01, "q10": -1, "q90": 1}
                 for name in draws}
    with pytest.raises(GradingError, match=message):
        check_summaries(Fit(draws=draws, dims={}, coords={}), reference, [], "complete pooled "
                        "model")
