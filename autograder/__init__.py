"""This assignment's grading: the registry (:mod:`autograder.questions`), its context
(:mod:`autograder.context`), the checks only this assignment needs (predictions, pooling) and
what the compile cache is warmed with (:mod:`autograder.warm`). The engine they plug into is
:mod:`poolside.grading`."""
