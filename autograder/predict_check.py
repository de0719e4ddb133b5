"""Check posterior predictive functions on a posterior the autograder controls.

A student's prediction function is called on a stand-in posterior built from the stored
reference summaries (normal approximations, fixed seed), so its grade does not depend on
whether their own fit was right, and the expected answer is known: each draw's predictive
centre and sd (:func:`draw_parameters`, the exercises' formulas, never shipped to students),
judged by the verdicts in ``prediction_check.py``.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

try:  # next to the notebook, as the grader imports the assignment's helpers
    from prediction_check import CHAINS, DRAWS
except ImportError:  # from the repository
    from assignment.prediction_check import CHAINS, DRAWS

__all__ = ["stand_in_draws", "stand_in_posterior", "as_posterior", "expected_predictive",
           "draw_parameters", "CHAINS", "DRAWS"]

# The stand-in is not the real posterior: it is built so that every plausible wrong formula
# moves the predictions measurably. Location parameters spread with sd LOCATION_SD, and scales
# by a factor exp(N(0, SCALE_LOG_SD)) around their centre (the real posterior's spreads, 1 to 7
# points, are too small next to song noise of about 14 to tell a prediction that follows each
# draw from one that plugs in a posterior mean; a proportional spread keeps scales positive and
# spreads a new artist's predictive sd as much as a song's).
LOCATION_SD = 10.0
SCALE_LOG_SD = 0.3
#
# The hierarchical scales are moved apart (SCALE_FACTORS times their medians: sigma_mu about 30,
# sigma_y about 21), so that every plausible wrong formula for a new artist is off by more than
# the 10% the spread check allows. A new artist's predictive variance is var(mu) + sigma_mu^2 +
# sigma_y^2, about 100 + 1060 + 530 here; leaving out the song noise gives sd 0.83 of the right
# one, leaving out the artist layer 0.61, sigma_y for both layers 0.83, sigma_mu for both 1.15.
# (On the real posterior the two scales are nearly equal, and with sigma_mu tripled alone the
# song noise was 5% of the sd, inside the band: a prediction without it passed.)
SCALE_FACTORS = {"sigma_mu": 2.0, "sigma_y": 1.5}


def stand_in_posterior(summaries: Mapping[str, Mapping[str, float]], artists: Sequence[str],
                       seed: int, wide: bool = True):
    """:func:`stand_in_draws` as a posterior (``xarray.DataTree``, as ``pm.sample`` returns)."""
    return as_posterior(stand_in_draws(summaries, artists, seed, wide), artists)


def as_posterior(draws: Mapping[str, np.ndarray], artists: Sequence[str]):
    """Draws ``(chain, draw[, artist])`` as an ``xarray.DataTree`` with an ``artist`` dim."""
    import arviz as az

    dims = {name: ["artist"] for name, value in draws.items() if np.ndim(value) == 3}
    return az.from_dict({"posterior": dict(draws)}, coords={"artist": list(artists)}, dims=dims)


def stand_in_draws(summaries: Mapping[str, Mapping[str, float]], artists: Sequence[str],
                   seed: int, wide: bool = True) -> dict[str, np.ndarray]:
    """Posterior draws centred on the reference medians, shaped ``(chain, draw)`` or
    ``(chain, draw, artist)`` as ``pm.sample`` gives.

    ``wide`` (for prediction checks) spreads it on purpose (see :data:`LOCATION_SD`);
    otherwise each parameter follows N(median, mad_sd), close to the real posterior. Scales
    are folded to stay positive."""
    rng = np.random.default_rng(seed)
    scalars, vectors = {}, {}
    for key, s in summaries.items():
        name, _, label = key.partition("[")
        if not wide:
            draws = rng.normal(s["median"], s["mad_sd"], size=(CHAINS, DRAWS))
            draws = np.abs(draws) if name.startswith("sigma") else draws
        elif name.startswith("sigma"):
            centre = s["median"] * SCALE_FACTORS.get(name, 1.0)
            draws = centre * np.exp(rng.normal(0.0, SCALE_LOG_SD, size=(CHAINS, DRAWS)))
        else:
            draws = rng.normal(s["median"], LOCATION_SD, size=(CHAINS, DRAWS))
        if label:
            vectors.setdefault(name, {})[label.rstrip("]")] = draws
        else:
            scalars[name] = draws
    posterior = dict(scalars)
    for name, by_artist in vectors.items():
        posterior[name] = np.stack([by_artist[a] for a in artists], axis=-1)
    return posterior


def draw_parameters(posterior_draws: Mapping[str, np.ndarray], kind: str, artist_index
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Per draw, the predictive's centre and its sd given that centre's own draw.

    For an artist in the data the centre is the artist's mean and the sd the song noise; for a
    new artist under the hierarchical model the centre is mu and the sd combines the artist
    layer and song noise, sqrt(sigma_mu^2 + sigma_y^2).
    """
    p = {k: np.asarray(v).reshape(-1, *np.shape(v)[2:]) for k, v in posterior_draws.items()}
    if kind == "complete_pooled":
        return p["mu"], p["sigma"]
    if kind == "no_pooled":
        return p["mu_j"][:, artist_index], p["sigma"]
    if artist_index is None:
        return p["mu"], np.hypot(p["sigma_mu"], p["sigma_y"])
    return p["mu_j"][:, artist_index], p["sigma_y"]


def expected_predictive(posterior_draws: Mapping[str, np.ndarray], kind: str, artist_index,
                        seed: int) -> np.ndarray:
    """Reference predictive draws for one artist (``artist_index=None`` for a new artist)."""
    rng = np.random.default_rng(seed)
    centre, sd = draw_parameters(posterior_draws, kind, artist_index)
    return rng.normal(centre, sd)


