"""Exercise 11: the hierarchical model and its fit."""

from poolside.grading.checks import check

from autograder.reading import check_fit, check_model, fit_probes, model_probes


@check("q11", points=2, public=True, probes=model_probes("hierarchical"))
def test_hierarchical_model(grading, reports):
    """the hierarchical model has the priors and likelihood asked for"""
    check_model(grading, reports, "hierarchical")


@check("q11", points=4, probes=fit_probes("hierarchical"))
def test_hierarchical_fit(grading, reports):
    """the hierarchical model's posterior comes from the model and matches the reference"""
    check_fit(grading, reports, "hierarchical")
