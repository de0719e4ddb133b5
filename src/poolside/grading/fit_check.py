"""Check a student's fitted posterior: that it came from their model, and what it says.

Provenance is exact but limited: the sampler records the log-density of every draw, and
recomputing it from the reference model at those draws must give the same finite numbers, and
the draws must not repeat as a sampler's never do. A posterior typed in from printed summaries,
with no model behind it, has no such record. It does not prove the draws were *sampled*: a
student who computes the log-density of made-up draws with the correct model can forge it,
which takes the correct model, the exercise's point (README, "Hostile submissions").

Summaries are noisy: each is compared with the stored reference within a band sized from
Monte Carlo standard error (see :func:`check_summaries`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from .feedback import GradingError

__all__ = ["Fit", "as_fit", "check_provenance", "check_summaries", "summary_bands",
           "variable_bands", "posterior_draws", "from_export"]

# The sampler's float64 log-density and ours differ only by summation order.
LP_RTOL = 1e-6
N_PROVENANCE_DRAWS = 20
# Five combined standard errors: a correct fit fails one comparison with probability
# 6e-7, so all ~100 comparisons of a submission pass together with probability > 0.9999.
Z = 5.0
# A floor of 2% of the posterior sd absorbs the noise in the MCSE estimates themselves.
SD_FLOOR = 0.02
MIN_ESS = 400
#: Share of a fit's draws that must be distinct points (NUTS repeats well under 5%).
MIN_DISTINCT = 0.8


def posterior_draws(idata, what: str):
    import xarray as xr

    # pm.sample returns an xarray.DataTree (PyMC 6); its groups are its children.
    if not isinstance(idata, xr.DataTree) or "posterior" not in idata.children:
        raise GradingError(
            f"The {what} fit should be what `pm.sample` returns (an `xarray.DataTree` with a "
            f"posterior group); got `{type(idata).__name__}`."
        )
    return idata.posterior


@dataclass(frozen=True)
class Fit:
    """What the checks read of a fit, as plain arrays: each variable's draws shaped
    ``(chain, draw, ...)``, the names of its dimensions after those two, the labels of those
    dimensions, and the log-density the sampler recorded at each draw (None if it recorded
    none). The grader judges an exported fit in this form, without building an
    ``xarray.DataTree`` (whose first array makes xarray import dask where dask is installed:
    a second of CPU on an instructor's machine)."""

    draws: dict
    dims: dict
    coords: dict
    lp: np.ndarray | None = None


def as_fit(idata, what: str) -> Fit:
    """``idata`` (what ``pm.sample`` returns, or a :class:`Fit`) as a :class:`Fit`."""
    if isinstance(idata, Fit):
        return idata
    posterior = posterior_draws(idata, what)
    draws, dims = {}, {}
    for name, var in posterior.data_vars.items():
        if var.dtype.kind in "biuf" and var.ndim >= 2:
            draws[str(name)] = np.asarray(var.values, dtype=float)
            dims[str(name)] = [str(d) for d in var.dims[2:]]
    coords = {str(d): [str(x) for x in posterior.coords[d].values]
              for d in posterior.coords if d not in ("chain", "draw")}
    lp = None
    stats = idata.sample_stats if "sample_stats" in idata.children else None
    for name in ("logp", "lp"):
        if stats is not None and name in stats:
            lp = np.asarray(stats[name].values, dtype=float)
            break
    return Fit(draws, dims, coords, lp)


def from_export(value, artists, what: str) -> Fit:
    """Rebuild a fit from the probe's export (:func:`poolside.grading.sandboxed.describe.fit`).

    Only numeric draws with one shared ``(chain, draw)`` shape are taken; a per-artist
    dimension is put in the data's artist order. Raises :class:`GradingError` for an export
    that is not a fit.
    """
    if not isinstance(value, dict) or not value.get("is_fit"):
        kind = value.get("type") if isinstance(value, dict) else None
        raise GradingError(
            f"The {what} fit should be what `pm.sample` returns (an `xarray.DataTree` with a "
            f"posterior group); got `{str(kind)[:80]}`."
        )
    try:
        draws = {str(k): np.asarray(v, dtype=float) for k, v in value["draws"].items()}
        dims = {str(k): [str(d) for d in v][2:] for k, v in value["dims"].items()}
        coords = {str(k): [str(x) for x in v] for k, v in value["coords"].items()}
        lp = value.get("lp")
        lp = None if lp is None else np.asarray(lp, dtype=float)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise GradingError(f"The {what} fit could not be read.") from None
    leading = {a.shape[:2] for a in draws.values() if a.ndim >= 2}
    if len(leading) != 1 or any(a.ndim < 2 for a in draws.values()):
        raise GradingError(f"The {what} fit's draws do not share one (chain, draw) shape.")
    for name, array in draws.items():
        for axis, dim in enumerate(dims.get(name, []), start=2):
            labels = coords.get(dim)
            if (labels and axis < array.ndim and len(labels) == array.shape[axis]
                    and sorted(labels) == sorted(artists) and labels != list(artists)):
                draws[name] = np.take(array, [labels.index(a) for a in artists], axis=axis)
    for dim, labels in coords.items():
        if sorted(labels) == sorted(artists):
            coords[dim] = list(artists)
    for name, array in draws.items():
        names = dims.get(name, [])
        if (names and len(names) != array.ndim - 2) or any(
                dim in coords and len(coords[dim]) != array.shape[axis]
                for axis, dim in enumerate(names, start=2)):
            raise GradingError(f"The {what} fit's draws and dimensions do not fit together.")
    if lp is not None and lp.shape != next(iter(leading)):
        lp = None
    return Fit(draws, {k: v for k, v in dims.items() if k in draws}, coords, lp)


def _recorded_logp(fit: Fit, what: str):
    if fit.lp is None:
        raise GradingError(
            f"The {what} fit has no sampler statistics, so it cannot have come from sampling "
            "your model. Return what `pm.sample` gives you, unchanged."
        )
    return fit.lp


def _to_value_space(model):
    """A function from natural-scale draws to the sampler's (transformed) value variables."""
    import pytensor

    inputs, outputs, names = [], [], []
    for rv in model.free_RVs:
        x = rv.type()
        transform = model.rvs_to_transforms.get(rv)
        y = transform.forward(x, *rv.owner.inputs) if transform is not None else x
        inputs.append(x)
        outputs.append(y)
        names.append(model.rvs_to_values[rv].name)
    fn = pytensor.function(inputs, outputs, mode="FAST_COMPILE", on_unused_input="ignore")
    return fn, names


def check_provenance(idata, model, what: str, seed: int = 0) -> None:
    """Raise unless the recorded log-density of the draws is the model's log-density."""
    fit = as_fit(idata, what)
    posterior = fit.draws
    recorded = _recorded_logp(fit, what)
    free = [rv.name for rv in model.free_RVs]
    missing = [name for name in free if name not in posterior]
    if missing:
        raise GradingError(
            f"The {what} fit has no draws of {', '.join(f'`{m}`' for m in missing)}; sample "
            "the model you built and return the result."
        )
    if not np.all(np.isfinite(recorded)):
        raise GradingError(
            f"The {what} fit's recorded log-density is not finite at every draw, which no "
            "sampled posterior has: sample the model you built and return the result."
        )
    # Each NUTS transition moves to a new point (staying put is rare), so a posterior whose
    # draws repeat was copied or made up, not sampled.
    try:
        rows = np.concatenate([posterior[name].reshape(recorded.size, -1) for name in free],
                              axis=1)
    except ValueError:  # draws of another shape than the recorded log-density's
        raise GradingError(f"The {what} fit's draws and its sampler statistics do not fit "
                           "together: return what `pm.sample` gives you, unchanged.") from None
    distinct = len(np.unique(rows, axis=0)) / len(rows)
    if distinct < MIN_DISTINCT:
        raise GradingError(
            f"The {what} fit repeats its draws ({distinct:.0%} are distinct), which a sampler "
            "that moves at every step does not: sample the model you built and return the "
            "result."
        )
    try:
        to_values, value_names = _to_value_space(model)
    except Exception as err:  # a transform that needs other variables' values
        raise GradingError(f"The {what} could not be evaluated at its draws: {err}") from err
    from .model_check import JUDGE_MODE

    logp = model.compile_logp(jacobian=True, mode=JUDGE_MODE)
    chains, draws = recorded.shape[:2]
    rng = np.random.default_rng(seed)
    for flat in rng.choice(chains * draws, size=min(N_PROVENANCE_DRAWS, chains * draws),
                           replace=False):
        c, d = divmod(int(flat), draws)
        natural = [posterior[name][c, d] for name in free]
        point = dict(zip(value_names, to_values(*natural)))
        value = float(logp(point))
        if not (np.isfinite(value) and np.isclose(value, recorded[c, d], rtol=LP_RTOL,
                                                  atol=1e-6)):
            raise GradingError(
                f"The {what} fit does not come from sampling the model you returned: the "
                "log-density the sampler recorded does not match the model at its own draws. "
                "Return the model and the result of the same `pm.sample` call."
            )


def variable_bands(idata, name: str) -> dict[str, np.ndarray]:
    """:func:`summary_bands` of every scalar of one variable at once (arrays shaped like one
    draw of it): ArviZ's diagnostics take the whole ``(chain, draw, ...)`` array in one call,
    about ten times faster than scalar by scalar."""
    from arviz_stats import ess as effective_size, mcse

    draws = as_fit(idata, "model").draws[name]
    flat = draws.reshape(-1, *draws.shape[2:])
    axes = {"chain_axis": 0, "draw_axis": 1}
    return {
        "median": np.median(flat, axis=0),
        "q10": np.quantile(flat, 0.1, axis=0),
        "q90": np.quantile(flat, 0.9, axis=0),
        "sd": flat.std(axis=0),
        "mcse_median": np.asarray(mcse(draws, method="median", **axes), dtype=float),
        "mcse_q10": np.asarray(mcse(draws, method="quantile", prob=0.1, **axes), dtype=float),
        "mcse_q90": np.asarray(mcse(draws, method="quantile", prob=0.9, **axes), dtype=float),
        "ess": np.asarray(effective_size(draws, method="median", **axes), dtype=float),
    }


def _pick(bands: dict[str, np.ndarray], index=None) -> dict[str, float]:
    return {k: float(v if index is None or np.ndim(v) == 0 else np.asarray(v)[..., index])
            for k, v in bands.items()}


def summary_bands(idata, name: str, index=None) -> dict[str, float]:
    """Student's median, sd, 10% and 90% quantiles of one scalar, with their MCSEs (``index``
    picks a position along the variable's last dimension)."""
    return _pick(variable_bands(idata, name), index)


def check_summaries(idata, reference: Mapping[str, Mapping[str, float]], artists,
                    what: str) -> None:
    """Compare the student's posterior with stored reference summaries.

    For each parameter the student's estimate and the reference are two independent Monte
    Carlo estimates of one number, so their difference has standard error
    sqrt(mcse_student^2 + mcse_reference^2). The band is Z of those plus SD_FLOOR posterior
    sds. Quantiles use the student's quantile MCSE for both sides: the reference was sampled
    with the settings the student is told to use, so its MCSE is about the same.
    """
    fit = as_fit(idata, what)
    posterior = fit.draws
    artist_position = {a: i for i, a in enumerate(artists)}
    bands: dict[str, dict] = {}
    for key, ref in reference.items():
        name, _, label = key.partition("[")
        label = label.rstrip("]")
        if name not in posterior:
            raise GradingError(f"The {what} fit has no draws of `{name}`.")
        index = None
        shape = tuple(np.shape(posterior[name])[2:])  # per draw
        if shape != ((len(artists),) if label else ()):
            raise GradingError(
                f"The {what} fit's `{name}` has shape {shape} in each draw, where the model "
                "asked for has " + ("one value per artist." if label else "a single number."))
        if label:
            names = fit.dims.get(name) or []
            labels = list(fit.coords.get(names[-1], [])) if names else []
            index = labels.index(label) if label in labels else artist_position.get(label)
            if index is None:
                raise GradingError(f"The {what} fit has no draws of `{key}`.")
        if name not in bands:
            bands[name] = variable_bands(fit, name)
        s = _pick(bands[name], index)
        shown = f"`{key}`" if label else f"`{name}`"
        if s["ess"] < MIN_ESS:
            raise GradingError(
                f"The {what} fit has too few effective draws of {shown} (ESS {s['ess']:.0f} < "
                f"{MIN_ESS}); sample with the settings the exercise gives."
            )
        sd = ref["mad_sd"]
        band = Z * np.hypot(s["mcse_median"], ref["mcse_median"]) + SD_FLOOR * sd
        if abs(s["median"] - ref["median"]) > band:
            raise GradingError(
                f"The posterior median of {shown} in the {what} is further from the reference "
                f"than Monte Carlo error allows ({abs(s['median'] - ref['median']) / sd:.2f} "
                "posterior sds off). The model or the data it sees differs from the one asked "
                "for."
            )
        for q in ("q10", "q90"):
            band = Z * np.sqrt(2) * s[f"mcse_{q}"] + SD_FLOOR * sd
            if abs(s[q] - ref[q]) > band:
                raise GradingError(
                    f"The 80% posterior interval of {shown} in the {what} does not match the "
                    "reference within Monte Carlo error: the posterior's spread is off, which "
                    "usually means a prior or the likelihood's sd is not the one asked for."
                )
