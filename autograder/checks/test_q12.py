"""Exercise 12: where the hierarchical model sits between the other two."""

from poolside.grading.checks import check

from autograder.reading import check_choice, choice_probes


@check("q12", points=1, probes=choice_probes("q12", ["q12"]))
def test_q12_answer(grading, reports):
    """q12 is answered correctly"""
    check_choice(reports, "q12", ("complete pooled", "no pooled", "in between"), "in between",
                 "Think about what partial pooling does.")
