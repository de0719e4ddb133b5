"""Reference PyMC models for the three analyses of the Spotify activity.

Each factory returns a :class:`Reference`: the model plus what is known about it (which free
variables a student's model must have, which parameters the stored summaries cover). The
autograder builds these at grading time to compare log-densities; it never samples them.

Priors are rstanarm's defaults for this data (see ``activity.prior_constants``), so the
posteriors match the activity's printed ``stan_glm``/``stan_glmer`` output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # PyMC is imported where a model is built: planning a grading needs none
    import pymc

try:  # at grading time activity.py sits next to the notebook, outside any package
    from activity import prior_constants
except ImportError:
    from assignment.activity import prior_constants

__all__ = [
    "Reference",
    "complete_pooled",
    "no_pooled",
    "hierarchical",
    "hierarchical_noncentered",
    "REFERENCES",
    "candidates",
    "parameters",
    "SAMPLING",
    "sample",
]

#: The activity's sampling settings: 4 chains, 5000 warm-up and 5000 kept draws, seed 84735.
SAMPLING = dict(
    draws=5000, tune=5000, chains=4, cores=1, random_seed=84735, nuts_sampler="nutpie"
)


@dataclass
class Reference:
    """A reference model and what a matching student model must share with it."""

    name: str
    model: "pymc.Model"
    #: Free variables, by name, as the student's docstring asks for them.
    free: tuple[str, ...]
    #: Posterior variables whose summaries are stored in ``reference.json``.
    summarised: tuple[str, ...]
    observed: str = "popularity"
    #: Free variables indexed by artist (their test points are per-artist vectors).
    per_artist: tuple[str, ...] = field(default_factory=tuple)
    #: Free variables that must be positive (standard deviations and their scale factors).
    positive: tuple[str, ...] = field(default_factory=tuple)
    #: A free variable whose name the student chooses (a non-centred offset), if any.
    open_name: str | None = None


def _data(spotify: pd.DataFrame):
    artists = [str(a) for a in spotify["artist"].cat.categories]
    codes = spotify["artist"].cat.codes.to_numpy()
    y = spotify["popularity"].to_numpy(float)
    return artists, codes, y


def complete_pooled(spotify: pd.DataFrame) -> Reference:
    """``popularity ~ 1``: one mean and one sd for every song."""
    import pymc as pm

    prior = prior_constants(spotify)
    _, _, y = _data(spotify)
    with pm.Model() as model:
        mu = pm.Normal("mu", prior["mu_loc"], prior["mu_scale"])
        sigma = pm.Exponential("sigma", prior["sigma_rate"])
        pm.Normal("popularity", mu, sigma, observed=y)
    known = parameters("complete_pooled")[0]
    return Reference("complete_pooled", model, known.free, ("mu", "sigma"),
                     positive=known.positive)


def no_pooled(spotify: pd.DataFrame) -> Reference:
    """``popularity ~ artist - 1``: one mean per artist, a shared sd, no pooling of means."""
    import pymc as pm

    prior = prior_constants(spotify)
    artists, codes, y = _data(spotify)
    scale = prior["artist_scale"].loc[artists].to_numpy()
    with pm.Model(coords={"artist": artists}) as model:
        mu_j = pm.Normal("mu_j", 0.0, scale, dims="artist")
        sigma = pm.Exponential("sigma", prior["sigma_rate"])
        pm.Normal("popularity", mu_j[codes], sigma, observed=y)
    known = parameters("no_pooled")[0]
    return Reference("no_pooled", model, known.free, ("mu_j", "sigma"),
                     per_artist=known.per_artist, positive=known.positive)


def _hierarchical(spotify: pd.DataFrame, offset: str | None) -> Reference:
    """Centred when ``offset`` is None, otherwise non-centred with that offset's name."""
    import pymc as pm

    prior = prior_constants(spotify)
    artists, codes, y = _data(spotify)
    with pm.Model(coords={"artist": artists}) as model:
        mu = pm.Normal("mu", prior["mu_loc"], prior["mu_scale"])
        sigma_y = pm.Exponential("sigma_y", prior["sigma_rate"])
        tau = pm.Exponential("tau", 1.0)
        sigma_mu = pm.Deterministic("sigma_mu", tau * sigma_y)
        if offset is None:
            mu_j = pm.Normal("mu_j", mu, sigma_mu, dims="artist")
        else:
            z = pm.Normal(offset, 0.0, 1.0, dims="artist")
            mu_j = pm.Deterministic("mu_j", mu + sigma_mu * z, dims="artist")
        pm.Normal("popularity", mu_j[codes], sigma_y, observed=y)
    known = parameters("hierarchical")[0 if offset is None else 1]
    per_artist = known.per_artist + ((offset,) if offset else ())
    return Reference("hierarchical", model, known.free + ((offset,) if offset else ()),
                     ("mu", "sigma_y", "sigma_mu", "mu_j"), per_artist=per_artist,
                     positive=known.positive, open_name=offset)


def hierarchical(spotify: pd.DataFrame) -> Reference:
    """``popularity ~ (1 | artist)``, centred: artist means drawn from N(mu, sigma_mu).

    rstanarm's ``decov`` default with one varying intercept makes sigma_mu = tau * sigma_y
    with tau ~ Exp(1).
    """
    return _hierarchical(spotify, None)


def hierarchical_noncentered(spotify: pd.DataFrame, offset: str | None = None) -> Reference:
    """The hierarchical model with mu_j = mu + sigma_mu * z_j, z_j ~ N(0, 1).

    Same posterior for (mu, sigma_y, sigma_mu, mu_j) as :func:`hierarchical`; ``offset`` names
    the standardised artist effect (``z_j`` by default) so a student's own name can be matched.
    """
    return _hierarchical(spotify, offset or "z_j")


def candidates(name: str, spotify: pd.DataFrame) -> list:
    """Accepted parameterisations of a model, as factories of the free offset name.

    The first is the one the exercise's docstring describes.
    """
    if name == "hierarchical":
        return [lambda _: hierarchical(spotify),
                lambda offset: hierarchical_noncentered(spotify, offset)]
    return [lambda _: REFERENCES[name](spotify)]


@dataclass(frozen=True)
class Parameters:
    """What a reference says about its free variables, without building its model."""

    free: tuple[str, ...]
    per_artist: tuple[str, ...] = ()
    positive: tuple[str, ...] = ()


def parameters(name: str) -> list[Parameters]:
    """The free variables of each accepted parameterisation of ``name`` (no PyMC needed: the
    grader plans with these before the student's notebook runs, and stays small meanwhile).
    The non-centred offset, whose name the student chooses, is left out."""
    return {
        "complete_pooled": [Parameters(("mu", "sigma"), positive=("sigma",))],
        "no_pooled": [Parameters(("mu_j", "sigma"), per_artist=("mu_j",),
                                 positive=("sigma",))],
        "hierarchical": [Parameters(("mu", "sigma_y", "tau", "mu_j"), per_artist=("mu_j",),
                                    positive=("sigma_y", "tau")),
                         Parameters(("mu", "sigma_y", "tau"), positive=("sigma_y", "tau"))],
    }[name]


#: The models whose posterior summaries are stored, by the key used in ``reference.json``.
REFERENCES = {
    "complete_pooled": complete_pooled,
    "no_pooled": no_pooled,
    "hierarchical": hierarchical,
}


def sample(reference: Reference, random_seed: int = SAMPLING["random_seed"]):
    """Fit a reference model with the activity's settings (instructor side only)."""
    import pymc as pm

    settings = {**SAMPLING, "random_seed": random_seed}
    return pm.sample(
        model=reference.model,
        draws=settings["draws"],
        tune=settings["tune"],
        chains=settings["chains"],
        cores=settings["cores"],
        random_seed=settings["random_seed"],
        nuts_sampler=settings["nuts_sampler"],
        progressbar=False,
    )
