"""Exercise 15a: which artists shrink most."""

from poolside.grading.checks import check

from autograder.reading import check_choice, choice_probes


@check("q15a", points=1, probes=choice_probes("q15a", ["q15a"]))
def test_q15a_answer(grading, reports):
    """q15a is answered correctly"""
    check_choice(reports, "q15a", ("typical", "extreme"), "extreme",
                 "Compare the plot's intervals with the observed means at both ends of the "
                 "axis.")
