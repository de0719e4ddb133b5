"""What the compile cache is warmed with for this assignment (the ``warm`` hook in
poolside.toml; see :mod:`poolside.grading.cache`)."""

from __future__ import annotations

__all__ = ["warm"]


def warm() -> None:
    """Compile everything grading compiles for a correct submission.

    For each accepted parameterisation of each reference model: sample it briefly with the
    sampler students use and describe it as the probe does (what the student's side compiles,
    in its copy of the cache), then compute the reference terms and check provenance (what the
    grader compiles).
    """
    import logging

    import pymc as pm

    from poolside.grading import fit_check, model_check
    from poolside.grading.sandboxed import describe
    from solutions.models import SAMPLING, candidates

    from .context import data

    logging.getLogger("pymc").setLevel(logging.ERROR)
    spotify, artist_means = data()
    artists = [str(a) for a in artist_means["artist"]]
    for kind in ("complete_pooled", "no_pooled", "hierarchical"):
        builds = candidates(kind, spotify)
        points = model_check.test_points([build(None) for build in builds], artists)
        for build in builds:  # every accepted parameterisation
            reference = build(None)
            idata = pm.sample(model=reference.model, draws=20, tune=20, chains=1, cores=1,
                              random_seed=0, nuts_sampler=SAMPLING["nuts_sampler"],
                              progressbar=False, compute_convergence_checks=False)
            describe.model(reference.model, points, artists)
            model_check.reference_terms(reference, points)
            fit_check.check_provenance(idata, reference.model, kind)
