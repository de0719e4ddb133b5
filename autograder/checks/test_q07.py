"""Exercise 7: the no pooled model and its fit."""

from poolside.grading.checks import check

from autograder.reading import check_fit, check_model, fit_probes, model_probes


@check("q7", points=2, public=True, probes=model_probes("no_pooled"))
def test_no_pooled_model(grading, reports):
    """the no pooled model has the priors and likelihood asked for"""
    check_model(grading, reports, "no_pooled")


@check("q7", points=4, probes=fit_probes("no_pooled"))
def test_no_pooled_fit(grading, reports):
    """the no pooled model's posterior comes from the model and matches the reference"""
    check_fit(grading, reports, "no_pooled")
