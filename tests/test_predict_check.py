import numpy as np
import pandas as pd
import pytest

from assignment import prediction_check
from autograder import predict_check
from poolside.grading.feedback import GradingError


def test_stand_in_posterior_has_pm_sample_dims(references, artist_means):
    artists = [str(a) for a in artist_means["artist"]]
    idata = predict_check.stand_in_posterior(references["hierarchical"], artists, seed=1)
    assert idata.posterior["mu_j"].dims == ("chain", "draw", "artist")
    assert list(idata.posterior["mu_j"].coords["artist"].values) == artists
    assert float(idata.posterior["sigma_y"].min()) > 0
    mia = idata.posterior["mu_j"].sel(artist="Mia X")
    assert abs(float(mia.median()) - references["hierarchical"]["mu_j[Mia X]"]["median"]) < 1.0


def test_require_predictions_names_the_problem():
    good = pd.DataFrame({"a": np.zeros(4), "b": np.zeros(4)})
    prediction_check.require_predictions(good, ["a", "b"], 4, "f")
    with pytest.raises(GradingError, match="one column per requested artist"):
        prediction_check.require_predictions(good, ["b", "a"], 4, "f")
    with pytest.raises(GradingError, match="one predictive draw per posterior draw"):
        prediction_check.require_predictions(good, ["a", "b"], 5, "f")
    with pytest.raises(GradingError, match="returned None"):
        prediction_check.require_predictions(None, ["a"], 4, "f")


def test_check_centre_accepts_noise_and_rejects_a_shift(rng):
    values = rng.normal(50, 15, size=4000)
    prediction_check.check_centre(values, 50.0, 15.0, "f", "x")
    with pytest.raises(GradingError, match="not centred"):
        prediction_check.check_centre(values + 5, 50.0, 15.0, "f", "x")


def test_expected_predictive_for_a_new_artist_is_wider(references, artist_means):
    artists = [str(a) for a in artist_means["artist"]]
    idata = predict_check.stand_in_posterior(references["hierarchical"], artists, seed=2)
    draws = {k: v.values for k, v in idata.posterior.items()}
    new = predict_check.expected_predictive(draws, "hierarchical", None, seed=3)
    known = predict_check.expected_predictive(draws, "hierarchical", artists.index("Beyoncé"), 4)
    assert new.std() > 1.2 * known.std()
