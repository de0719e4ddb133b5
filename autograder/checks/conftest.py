"""What every check of this assignment is given: a :class:`~autograder.context.Grading`."""

from autograder.context import Grading


def pytest_poolside_context():
    return Grading
