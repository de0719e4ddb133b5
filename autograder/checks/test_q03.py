"""Exercise 3: the complete pooled model and its fit."""

from poolside.grading.checks import check

from autograder.reading import check_fit, check_model, fit_probes, model_probes


@check("q3", points=2, public=True, probes=model_probes("complete_pooled"))
def test_complete_pooled_model(grading, reports):
    """the complete pooled model has the priors and likelihood asked for"""
    check_model(grading, reports, "complete_pooled")


@check("q3", points=4, probes=fit_probes("complete_pooled"))
def test_complete_pooled_fit(grading, reports):
    """the complete pooled model's posterior comes from the model and matches the reference"""
    check_fit(grading, reports, "complete_pooled")
