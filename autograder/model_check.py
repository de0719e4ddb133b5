"""Check a student's PyMC model against a reference model, exactly and without sampling.

Two models are the same model here when they have the same free variables, the same observed
data and the same log-density, term by term, at a handful of parameter points. Points are
given on the natural (constrained) scale and both models are evaluated without value
transforms, so a student's choice of transform or equivalent distribution (Gamma(1, r) for
Exp(r), say) does not matter; a different prior or likelihood does.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pymc as pm
from pymc.model.transform.conditioning import remove_value_transforms

from .feedback import GradingError

__all__ = ["check_model", "match_reference", "observed_variable", "test_points"]

# Log-densities of the same model built twice agree to rounding error; 1e-6 relative
# (plus 1e-8 absolute) is far below the smallest real difference a wrong prior makes
# (changing a prior scale by 1% moves its log-density by about 1e-2 at typical points).
RTOL, ATOL = 1e-6, 1e-8
N_POINTS = 5


def observed_variable(model: pm.Model, what: str):
    """The model's one observed variable, or a :class:`GradingError` saying what is off."""
    if not isinstance(model, pm.Model):
        raise GradingError(
            f"The {what} should be a `pm.Model`, but got `{type(model).__name__}`. "
            "Build it inside `with pm.Model(...) as model:` and return `model`."
        )
    observed = list(model.observed_RVs)
    if not observed:
        raise GradingError(
            f"The {what} has no observed variable, so the data never enters it. Pass the "
            "song popularities to the likelihood with `observed=`."
        )
    if len(observed) > 1:
        raise GradingError(
            f"The {what} has {len(observed)} observed variables; it should have exactly one, "
            "the popularity of every song."
        )
    return observed[0]


def _check_observed_data(model: pm.Model, popularity: np.ndarray, what: str) -> None:
    obs = observed_variable(model, what)
    data = np.asarray(model.rvs_to_values[obs].eval(), dtype=float).ravel()
    if data.size != popularity.size or not np.allclose(np.sort(data), np.sort(popularity)):
        raise GradingError(
            f"The observed data of the {what} is not the popularity of all "
            f"{popularity.size} songs (it has {data.size} values). Use "
            "`spotify['popularity']` as the observed values."
        )


def match_reference(model: pm.Model, candidates: Sequence[Callable], what: str):
    """Pick the reference parameterisation whose free variables the student's model has.

    ``candidates`` are factories ``f(offset_name) -> Reference``; the first one is the
    parameterisation the docstring describes. A candidate may leave one free variable's name
    open (a non-centred offset): any student variable not named elsewhere fills it.
    """
    student = {rv.name for rv in model.free_RVs}
    for build in candidates:
        reference = build(None)
        expected = set(reference.free)
        if student == expected:
            return reference
        extra, missing = student - expected, expected - student
        if reference.open_name in missing and len(extra) == 1 and len(missing) == 1:
            return build(extra.pop())
    expected = set(candidates[0](None).free)
    missing = sorted(expected - student)
    extra = sorted(student - expected)
    parts = []
    if missing:
        parts.append(f"it lacks the free variable(s) {', '.join(f'`{m}`' for m in missing)}")
    if extra:
        parts.append(f"it has unexpected free variable(s) {', '.join(f'`{e}`' for e in extra)}")
    raise GradingError(
        f"The {what} does not have the parameters the exercise describes: "
        + " and ".join(parts)
        + ". Check the names and the structure of each layer in the docstring."
    )


def test_points(reference, n: int = N_POINTS, seed: int = 0) -> list[dict[str, np.ndarray]]:
    """Parameter points on the natural scale, drawn once from a fixed-seed generator.

    Each free variable gets values spread over where its posterior and prior put mass, so a
    wrong prior or likelihood changes the log-density at every point.
    """
    rng = np.random.default_rng(seed)
    model = reference.model
    shapes = {rv.name: tuple(rv.type.shape) if None not in rv.type.shape
              else tuple(np.shape(pm.draw(rv, random_seed=0))) for rv in model.free_RVs}
    points = []
    for _ in range(n):
        point = {}
        for rv in model.free_RVs:
            shape = shapes[rv.name]
            if rv.name in reference.positive:
                value = rng.uniform(0.3, 30.0, size=shape)
            elif rv.name in reference.per_artist or rv.name == reference.open_name:
                value = rng.normal(0.0 if rv.name == reference.open_name else 55.0,
                                   1.0 if rv.name == reference.open_name else 20.0, size=shape)
            else:
                value = rng.normal(55.0, 10.0, size=shape)
            point[rv.name] = value
        points.append(point)
    return points


def _term_functions(model: pm.Model):
    """One compiled log-density function per variable, on the natural scale."""
    plain = remove_value_transforms(model)
    terms = {}
    for rv in [*plain.free_RVs, *plain.observed_RVs]:
        terms[rv.name] = plain.compile_logp(vars=[rv], jacobian=False, sum=True)
    shapes = {name: np.shape(value) for name, value in plain.initial_point().items()}
    return terms, shapes


def _artist_order(model: pm.Model, name: str, artists: Sequence[str]):
    """Index that maps the reference's artist order onto the student's, if coords say so."""
    dims = model.named_vars_to_dims.get(name)
    if not dims:
        return None
    labels = [str(x) for x in model.coords.get(dims[0], ()) or ()]
    if sorted(labels) == sorted(artists) and labels != list(artists):
        position = {a: i for i, a in enumerate(artists)}
        return np.array([position[label] for label in labels])
    return None


def check_model(model, candidates: Sequence[Callable], popularity, artists, what: str) -> None:
    """Raise :class:`GradingError` unless ``model`` is one of the reference parameterisations.

    Parameters
    ----------
    model : pm.Model
        The student's model.
    candidates : sequence of callables
        Reference factories ``f(open_name) -> Reference``, the docstring's parameterisation
        first.
    popularity : array
        Every song's popularity.
    artists : sequence of str
        Artists in the order of ``spotify.artist.cat.categories``.
    what : str
        How to name the model in feedback ("complete pooled model").
    """
    _check_observed_data(model, np.asarray(popularity, dtype=float), what)
    reference = match_reference(model, candidates, what)
    ref_terms, _ = _term_functions(reference.model)
    stu_terms, stu_shapes = _term_functions(model)
    student_obs = observed_variable(model, what).name
    for point in test_points(reference):
        student_point = {}
        for name, shape in stu_shapes.items():
            value = np.asarray(point[name])
            order = _artist_order(model, name, artists)
            if order is not None:
                value = value[order]
            if value.shape != shape:
                raise GradingError(
                    f"In the {what}, `{name}` has shape {shape}; it should have shape "
                    f"{value.shape} (one value per artist where the docstring says so)."
                )
            student_point[name] = value
        for name in reference.free:
            if not np.isclose(stu_terms[name](student_point), ref_terms[name](point),
                              rtol=RTOL, atol=ATOL):
                raise GradingError(
                    f"In the {what}, the distribution of `{name}` is not the one the exercise "
                    "describes: its log-density differs at test values. Check its family and "
                    "every constant in it against the prior table."
                )
        if not np.isclose(stu_terms[student_obs](student_point),
                          ref_terms[reference.observed](point), rtol=RTOL, atol=ATOL):
            raise GradingError(
                f"In the {what}, the likelihood of the songs' popularity differs from the one "
                "the exercise describes at test values. Check which mean each song gets and "
                "that the second argument of `pm.Normal` is a standard deviation."
            )
