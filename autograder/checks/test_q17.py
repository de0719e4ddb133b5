"""Exercise 17: the three models' bias and variance."""

from poolside.grading.checks import check
from poolside.grading.feedback import GradingError

from autograder.reading import CHOICES, answer_of, choice_probes

Q17 = {"q17_most_variable": "no pooled", "q17_least_variable": "complete pooled",
       "q17_most_biased": "complete pooled", "q17_least_biased": "no pooled"}


@check("q17", points=2, probes=choice_probes("q17", Q17))
def test_q17_answers(grading, reports):
    """the q17 answers are right"""
    answers = {name: answer_of(reports, "q17", name, CHOICES) for name in Q17}
    wrong = sorted(n for n, v in answers.items() if v != Q17[n])
    if wrong:
        raise GradingError(f"{len(wrong)} of the four answers {'is' if len(wrong) == 1 else 'are'}"
                           f" not right yet ({', '.join(wrong)}).")
