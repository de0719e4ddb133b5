"""poolside: build and grade autograded notebook assignments.

:mod:`poolside.grading` is the engine that ships inside ``autograder.zip`` (the runner, the
sandbox, the registry and the checks); the rest is the instructor's tool (``poolside build``,
``grade``, ``run``, ``gradescope``, ``demo``). An assignment is a folder with a
``poolside.toml`` (:mod:`poolside.grading.assignment`).
"""

__version__ = "0.2.0"
