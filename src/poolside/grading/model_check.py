"""Check a student's PyMC model against a reference model, exactly and without sampling.

Two models are the same model here when they have the same free variables, the same observed
data and the same log-density, term by term, at a handful of parameter points. Points are
given on the natural (constrained) scale and both models are evaluated without value
transforms, so a student's choice of transform or equivalent distribution (Gamma(1, r) for
Exp(r), say) does not matter; a different prior or likelihood does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

from .feedback import GradingError
from .sandboxed import describe

__all__ = ["check_model", "match_reference", "observed_variable", "test_points", "Wording",
           "Stored", "stored_candidates", "store", "prior_constants_of"]

# Log-densities of the same model built twice agree to rounding error; 1e-6 relative
# (plus 1e-8 absolute) is far below the smallest real difference a wrong prior makes
# (changing a prior scale by 1% moves its log-density by about 1e-2 at typical points).
RTOL, ATOL = 1e-6, 1e-8
#: How the grader compiles the log-densities it evaluates (see describe.TERMS_MODE).
JUDGE_MODE = describe.TERMS_MODE
N_POINTS = 5


@dataclass(frozen=True)
class Wording:
    """How feedback names an assignment's data; the defaults say it generically."""

    #: what ``observed=`` should be given
    data: str = "the observed values"
    #: what the one observed variable holds
    each_value: str = "every observed value"
    #: the whole data set, ``{n}`` its size
    all_values: str = "all {n} observed values"
    #: what a per-group variable has one value for
    group: str = "group"
    #: whose likelihood it is
    likelihood_of: str = "the data"
    #: where to look when the likelihood differs
    likelihood_hint: str = ("Check which mean each observation gets and that the second "
                            "argument of `pm.Normal` is a standard deviation.")
    #: the same for a non-centred model, ``{open}`` the offset's name
    noncentred_hint: str = ("Your model is non-centred: check how each group's mean is "
                            "built from the offset `{open}`, then which mean each "
                            "observation gets.")


GENERIC = Wording()


def observed_variable(described: dict, what: str, wording: Wording = GENERIC) -> str:
    """The name of the model's one observed variable, or a :class:`GradingError`."""
    if not described.get("is_model"):
        raise GradingError(
            f"The {what} should be a `pm.Model`, but got `{str(described.get('type'))[:80]}`. "
            "Build it inside `with pm.Model(...) as model:` and return `model`."
        )
    observed = [str(name) for name in described["observed"]]
    if not observed:
        raise GradingError(
            f"The {what} has no observed variable, so the data never enters it. Pass "
            f"{wording.data} to the likelihood with `observed=`."
        )
    if len(observed) > 1:
        raise GradingError(
            f"The {what} has {len(observed)} observed variables; it should have exactly one, "
            f"{wording.each_value}."
        )
    return observed[0]


def _check_observed_data(described: dict, observed: np.ndarray, what: str,
                         wording: Wording) -> None:
    observed_variable(described, what, wording)
    data = np.asarray(described.get("observed_data"), dtype=float).ravel()
    if data.size != observed.size or not np.allclose(np.sort(data), np.sort(observed)):
        raise GradingError(
            f"The observed data of the {what} is not "
            f"{wording.all_values.format(n=observed.size)} (it has {data.size} values): check "
            "what you pass as `observed=`."
        )


def match_reference(free: Sequence[str], candidates: Sequence[Callable], what: str):
    """Pick the reference parameterisation whose free variables the student's model has.

    ``candidates`` are factories ``f(offset_name) -> Reference``; the first one is the
    parameterisation the docstring describes. A candidate may leave one free variable's name
    open (a non-centred offset): any student variable not named elsewhere fills it.
    """
    student = {str(name) for name in free}
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


def test_points(references: Sequence, artists: Sequence[str], n: int = N_POINTS,
                seed: int = 0) -> dict[str, np.ndarray]:
    """Parameter points on the natural scale for every variable any of ``references`` has.

    Returns ``{name: array of shape (n, *shape)}``, with ``"__open__"`` for a free variable
    whose name the student chooses. Each variable gets values spread over where its
    posterior and prior put mass, so a wrong prior or likelihood changes the log-density at
    every point. The grader draws ``seed`` afresh for each grading.
    """
    rng = np.random.default_rng(seed)
    k = len(artists)
    points: dict[str, np.ndarray] = {}
    for reference in references:
        for name in reference.free:
            if name in points:
                continue
            shape = (n, k) if name in reference.per_artist else (n,)
            if name in reference.positive:
                points[name] = rng.uniform(0.3, 30.0, size=shape)
            elif name in reference.per_artist:
                points[name] = rng.normal(55.0, 20.0, size=shape)
            else:
                points[name] = rng.normal(55.0, 10.0, size=shape)
    points["__open__"] = rng.normal(0.0, 1.0, size=(n, k))
    return points


def _plain(model):
    # PyMC is imported here, not above: planning a grading needs this module but not PyMC,
    # and the grader stays small while the student's notebook runs.
    from pymc.model.transform.conditioning import remove_value_transforms

    return remove_value_transforms(model)


@dataclass(frozen=True)
class Stored:
    """A reference model as numbers only: its variables and its log-density terms at fixed
    points. This is what the public checks compare a student's model with in the student's
    own kernel: the exercise's model, never its code."""

    free: tuple[str, ...]
    terms: Mapping[str, Sequence[float]]
    observed: str
    open_name: str | None = None

    def named(self, offset: str | None) -> "Stored":
        """This reference with its open (non-centred offset) variable called ``offset``."""
        if self.open_name is None or offset is None or offset == self.open_name:
            return self
        rename = {self.open_name: offset}
        return Stored(tuple(rename.get(n, n) for n in self.free),
                      {rename.get(n, n): v for n, v in self.terms.items()}, self.observed,
                      offset)


def store(references: Sequence, points: Mapping[str, np.ndarray]) -> dict:
    """Plain data for :func:`stored_candidates`: ``points`` and every reference's terms there
    (references as the candidates' factories build them, the docstring's first)."""
    return {"points": {k: np.asarray(v).tolist() for k, v in points.items()},
            "candidates": [{"free": list(r.free), "observed": r.observed,
                            "open_name": r.open_name,
                            "terms": {k: v.tolist() for k, v in
                                      reference_terms(r, points).items()}}
                           for r in references]}


def stored_candidates(data: Mapping) -> tuple[list[Callable], dict[str, np.ndarray]]:
    """Candidates and points from :func:`store`'s data, for :func:`check_model`."""
    stored = [Stored(tuple(c["free"]), c["terms"], c["observed"], c.get("open_name"))
              for c in data["candidates"]]
    points = {k: np.asarray(v, dtype=float) for k, v in data["points"].items()}
    return [lambda offset, s=s: s.named(offset) for s in stored], points


def reference_terms(reference, points: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The reference's log-density terms at every point (rows of ``points``)."""
    if isinstance(reference, Stored):
        return {k: np.asarray(v, dtype=float) for k, v in reference.terms.items()}
    n = len(points["__open__"])
    values = [{name: np.asarray(points.get(name, points["__open__"])[i])
               for name in reference.free} for i in range(n)]
    return describe.terms_at(_plain(reference.model), values)


def prior_constants_of(values, terms) -> dict[str, float] | None:
    """The family and constants of a one-dimensional prior, read off its log-density at a few
    points: a normal's is a parabola in x (sd and mean from its coefficients), an
    exponential's a line (its rate the slope). None when it is neither, or not exactly."""
    x = np.asarray(values, dtype=float)
    y = np.asarray(terms, dtype=float)
    if x.ndim != 1 or y.shape != x.shape or x.size < 4 or not np.isfinite(y).all():
        return None
    centre = float(x.mean())  # fitted around the points' centre, for a well-posed fit
    design = np.stack([(x - centre) ** 2, x - centre, np.ones_like(x)], axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    a, b = float(coef[0]), float(coef[1])
    if not np.allclose(design @ coef, y, rtol=1e-7, atol=1e-7):
        return None
    if abs(a) * np.ptp(x) ** 2 < 1e-7 * (abs(b) * np.ptp(x) + 1e-12):
        return {"family": "exponential", "rate": -b} if b < 0 else None
    if a < 0:
        variance = -1 / (2 * a)
        return {"family": "normal", "mean": centre + b * variance,
                "sd": float(np.sqrt(variance))}
    return None


def _numbers(got: float, want: float) -> tuple[str, str]:
    """Both numbers with as few digits as it takes to tell them apart (at least four)."""
    for digits in range(4, 12):
        a, b = (f"{round(float(v), 9) + 0.0:.{digits}g}" for v in (got, want))
        if a != b:
            break
    return a, b


def _near_miss(values, student_terms, expected_terms) -> str | None:
    """Which constant of a one-dimensional prior is off, and by how much, when the family is
    right. The constants are the ones the exercise prints, so naming them gives nothing away;
    the policy is exact constants, said precisely rather than silently off by 0.14%."""
    if student_terms is None:
        return None
    got = prior_constants_of(values, student_terms)
    want = prior_constants_of(values, expected_terms)
    if got is None or want is None:
        return None
    if got["family"] != want["family"]:
        return f"It is not the {want['family']} distribution the exercise gives it."
    parts = []
    for key, label in (("mean", "mean"), ("sd", "standard deviation"), ("rate", "rate")):
        if key in want and not np.isclose(got[key], want[key], rtol=1e-6, atol=1e-9):
            ratio = got[key] / want[key] if want[key] else np.inf
            pct = (ratio - 1) * 100
            off = ("a different number altogether" if not (np.isfinite(ratio) and abs(pct) < 100)
                   else f"{pct:+.2f}%" if abs(pct) >= 0.01 else f"{pct:+.1e}%")
            shown, exercise = _numbers(got[key], want[key])
            parts.append(f"its {label} is {shown}, not the exercise's {exercise} ({off})")
    if not parts:
        return None
    article = "an" if want["family"].startswith("e") else "a"
    return (f"It is {article} {want['family']} as it should be, but " + " and ".join(parts)
            + ". Use the constants as the exercise gives them.")


def check_model(described: dict, candidates: Sequence[Callable], observed,
                points: Mapping[str, np.ndarray], what: str,
                wording: Wording = GENERIC) -> None:
    """Raise :class:`GradingError` unless the described model is one of the references.

    Parameters
    ----------
    described : dict
        The probe's description (:func:`poolside.grading.sandboxed.describe.model`): variables,
        observed data and log-density terms at ``points``.
    candidates : sequence of callables
        Reference factories ``f(open_name) -> Reference``, the docstring's parameterisation
        first.
    observed : array
        The data the likelihood should be given (any order).
    points : mapping
        The points the probe was given (:func:`test_points`).
    what : str
        How to name the model in feedback ("complete pooled model").
    wording : Wording
        How to name the data in feedback.
    """
    _check_observed_data(described, np.asarray(observed, dtype=float), what, wording)
    reference = match_reference(described["free"], candidates, what)
    student_obs = observed_variable(described, what, wording)
    shapes = described.get("shapes") or {}
    for name in reference.free:
        expected = np.shape(points.get(name, points["__open__"]))[1:]
        shape = tuple(shapes.get(name, ()))
        if shape != expected:
            raise GradingError(
                f"In the {what}, `{name}` has shape {shape}; it should have shape "
                f"{expected} (one value per {wording.group} where the docstring says so)."
            )
    student = described.get("terms")
    if not isinstance(student, dict):
        raise GradingError(f"The {what} could not be evaluated at test values.")
    expected = reference_terms(reference, points)
    n = len(points["__open__"])

    def agree(name, ref_name):
        got = np.asarray(student.get(name, np.full(n, np.nan)), dtype=float).ravel()
        return got.shape == (n,) and np.allclose(got, expected[ref_name], rtol=RTOL, atol=ATOL)

    for name in reference.free:
        if not agree(name, name):
            values = np.asarray(points.get(name, points["__open__"]), dtype=float)
            near = _near_miss(values, student.get(name), expected[name])
            raise GradingError(
                f"In the {what}, the distribution of `{name}` is not the one the exercise "
                "describes: its log-density differs at test values. "
                + (near or "Check its family and every constant in it against the prior "
                   "table.")
            )
    if not agree(student_obs, reference.observed):
        if reference.open_name:
            raise GradingError(
                f"In the {what}, the likelihood of {wording.likelihood_of} differs from the "
                "one the exercise describes at test values. "
                + wording.noncentred_hint.format(open=reference.open_name))
        raise GradingError(
            f"In the {what}, the likelihood of {wording.likelihood_of} differs from the one "
            f"the exercise describes at test values. {wording.likelihood_hint}")
