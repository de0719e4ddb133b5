"""Stored reference summaries agree with the activity's printed rstanarm output."""

import pytest

# (median, sd, q10, q90) as the activity prints them.
ACTIVITY_COMPLETE_POOLED = {
    "mu": (58.4, 1.11, 57.0, 59.8),
    "sigma": (20.7, 0.781, 19.7, 21.7),
}
ACTIVITY_NO_POOLED = {
    "mu_j[Mia X]": (13.3, 7.01, 4.39, 22.2),
    "mu_j[Chris Goldarg]": (16.4, 4.35, 10.8, 22.0),
    "mu_j[Soul&Roll]": (24.2, 6.35, 16.1, 32.3),
    "mu_j[Honeywagon]": (31.7, 8.03, 21.3, 42.0),
    "mu_j[Röyksopp]": (33.3, 6.89, 24.4, 42.2),
    "mu_j[Freestyle]": (33.7, 8.00, 23.3, 44.0),
    "mu_j[DA Image]": (36.7, 8.08, 26.3, 47.1),
    "mu_j[Jean Juan]": (36.8, 6.42, 28.8, 45.0),
    "mu_j[TV Noise]": (38.1, 3.75, 33.3, 42.9),
    "mu_j[Kid Frost]": (40.7, 8.05, 30.3, 50.9),
}


def _printed_rows():
    for name, row in ACTIVITY_COMPLETE_POOLED.items():
        yield "complete_pooled", name, row
    for name, row in ACTIVITY_NO_POOLED.items():
        yield "no_pooled", name, row


@pytest.mark.parametrize("model,name,printed", list(_printed_rows()))
def test_reference_agrees_with_the_activity(references, model, name, printed):
    median, sd, q10, q90 = printed
    ours = references[model][name]
    assert abs(ours["median"] - median) <= 0.15 * sd, (model, name, ours)
    assert abs(ours["q10"] - q10) <= 0.25 * sd, (model, name, ours)
    assert abs(ours["q90"] - q90) <= 0.25 * sd, (model, name, ours)


def test_no_pooled_sigma_agrees_with_the_activity(references):
    ours = references["no_pooled"]["sigma"]
    assert abs(ours["median"] - 14.0) <= 0.15 * ours["mad_sd"]


def test_reference_json_has_the_specified_shape(references, artist_means):
    artists = [f"mu_j[{a}]" for a in artist_means["artist"]]
    assert set(references) == {"complete_pooled", "no_pooled", "hierarchical"}
    assert set(references["complete_pooled"]) == {"mu", "sigma"}
    assert set(references["no_pooled"]) == {*artists, "sigma"}
    assert set(references["hierarchical"]) == {"mu", "sigma_y", "sigma_mu", *artists}
    for table in references.values():
        for summary in table.values():
            assert set(summary) == {"median", "mad_sd", "q10", "q90", "mcse_median"}


def test_hierarchical_predictions_lie_between_pooled_and_unpooled(references, artist_means):
    grand = references["complete_pooled"]["mu"]["median"]
    for artist, observed in zip(artist_means["artist"], artist_means["popularity"]):
        key = f"mu_j[{artist}]"
        hier = references["hierarchical"][key]["median"]
        unpooled = references["no_pooled"][key]["median"]
        low, high = sorted((grand, unpooled))
        # Partial pooling pulls toward the hierarchical mean mu (52.5), which lies below the
        # complete pooled 58.4, so allow the interval to reach down to mu as well.
        low = min(low, references["hierarchical"]["mu"]["median"])
        assert low - 0.5 <= hier <= high + 0.5, (artist, hier, low, high)


def test_hierarchical_shrinks_extreme_and_small_artists_more(references, artist_means):
    mu = references["hierarchical"]["mu"]["median"]
    table = artist_means.set_index("artist")
    shrink = {
        a: abs(table.loc[a, "popularity"] - references["hierarchical"][f"mu_j[{a}]"]["median"])
        for a in table.index
    }
    distance = {a: abs(table.loc[a, "popularity"] - mu) for a in table.index}
    extreme = sorted(table.index, key=distance.get)[-8:]
    typical = sorted(table.index, key=distance.get)[:8]
    assert min(shrink[a] for a in extreme) > max(shrink[a] for a in typical)
    assert shrink["Sean Kingston"] > shrink["Frank Ocean"]


def test_sean_kingston_predicted_below_frank_ocean(references):
    hier = references["hierarchical"]
    assert hier["mu_j[Sean Kingston]"]["median"] < hier["mu_j[Frank Ocean]"]["median"]


def test_reference_summaries_come_from_the_current_models(spotify):
    import json

    import numpy as np

    from tests import project as paths
    from solutions.reference import fingerprint
    from solutions.models import REFERENCES

    stored = json.loads(paths.REFERENCE_JSON.read_text())["fingerprints"]
    for name, factory in REFERENCES.items():
        assert np.allclose(fingerprint(factory(spotify)), stored[name], rtol=1e-9), (
            f"{name} changed since solutions/reference.json was made: "
            "run `poolside reference --refit`")


def _locked(path):
    """Package -> every version the lock pins it to (a universal lock may pin one package
    twice, under different markers)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    from poolside.student_env import pins

    locked = {}
    for req in map(Requirement, pins(path)):
        locked.setdefault(canonicalize_name(req.name), set()).update(
            s.version for s in req.specifier)
    return locked


def test_the_lock_satisfies_every_range_pyproject_and_requirements_in_ask_for():
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    from tests import project as paths
    from poolside.student_env import pins

    locked = _locked(paths.REQUIREMENTS)
    wanted = [Requirement(d) for d in tomllib.loads(
        (paths.ROOT / "pyproject.toml").read_text())["project"]["dependencies"]]
    wanted += map(Requirement, pins(paths.REQUIREMENTS.with_suffix(".in")))
    for req in wanted:
        versions = locked.get(canonicalize_name(req.name))
        assert versions, f"{req.name} is not in the lock: recompile it"
        assert all(req.specifier.contains(v) for v in versions), (
            f"the lock pins {req.name} {versions}, outside {req.specifier}")


def test_the_lock_pins_every_package_exactly_and_leaves_out_servers_and_ides():
    from tests import project as paths
    from poolside.student_env import pins

    lines = pins(paths.REQUIREMENTS)
    assert all("==" in line for line in lines), [l for l in lines if "==" not in l]
    locked = _locked(paths.REQUIREMENTS)
    # Grading runs a kernel, not a notebook server: none of these belongs in the lock.
    assert not {"jupyterlab", "notebook", "jupyter-server", "jupyter"} & set(locked)


def test_pymc6_stack_is_what_the_project_runs():
    import arviz
    import pymc
    import pytensor

    assert int(pymc.__version__.split(".")[0]) >= 6
    assert int(pytensor.__version__.split(".")[0]) >= 3
    assert int(arviz.__version__.split(".")[0]) >= 1
