"""This assignment's grading: the hidden checks (:mod:`autograder.checks`, pytest tests, one
module per exercise) and what they share (:mod:`autograder.reading`), their context
(:mod:`autograder.context`), the checks only this assignment needs (predictions, pooling) and
what the compile cache is warmed with (:mod:`autograder.warm`). The engine they plug into is
:mod:`poolside.grading`."""
