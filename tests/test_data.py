import hashlib

import numpy as np

from assignment.activity import load_spotify, prior_constants
from tests import project as paths

SHA256 = "c8273a1c19e7404ebc63415c17e03c088f2f7401cbdd1697be0c48867b132c15"


def test_data_file_is_the_shared_copy():
    assert hashlib.sha256(paths.DATA.read_bytes()).hexdigest() == SHA256


def test_load_spotify_matches_the_activity_facts(spotify, artist_means):
    assert len(spotify) == 350
    assert list(spotify.columns) == ["artist", "title", "popularity"]
    assert spotify["artist"].nunique() == 44
    assert np.isclose(spotify["popularity"].mean(), 58.4, atol=0.005)
    first_two = artist_means.iloc[:2]
    assert list(first_two["artist"]) == ["Mia X", "Chris Goldarg"]
    assert list(first_two["count"]) == [4, 10]
    last_two = artist_means.iloc[-2:]
    assert list(last_two["artist"]) == ["Lil Skies", "Camilo"]
    assert np.allclose(last_two["popularity"], [79.333, 81.0], atol=0.001)


def test_load_spotify_orders_artists_by_mean_popularity(spotify, artist_means):
    assert list(spotify["artist"].cat.categories) == list(artist_means["artist"])
    assert artist_means["popularity"].is_monotonic_increasing
    frank = artist_means.set_index("artist").loc["Frank Ocean"]
    assert frank["count"] == 40 and np.isclose(frank["popularity"], 69.775)


def test_prior_constants_follow_rstanarm_defaults(spotify):
    prior = prior_constants(spotify)
    sd_y = spotify["popularity"].std(ddof=1)
    assert np.isclose(prior["mu_loc"], 58.4, atol=0.005)
    assert np.isclose(prior["mu_scale"], 2.5 * sd_y)
    assert np.isclose(prior["sigma_rate"], 1 / sd_y)
    # An artist with k of n songs has an indicator sd of sqrt(k (n - k) / (n (n - 1))).
    k, n = 4, 350
    expected = 2.5 * sd_y / np.sqrt(k * (n - k) / (n * (n - 1)))
    assert np.isclose(prior["artist_scale"]["Mia X"], expected)


def test_load_spotify_rejects_a_file_without_the_columns(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    try:
        load_spotify(bad)
    except ValueError as err:
        assert "popularity" in str(err)
    else:
        raise AssertionError("expected a ValueError")
