"""The chapter-16 assignment's hidden checks: pytest tests, one module per exercise.

Each test is marked with :func:`poolside.grading.checks.check` (question, points, the probes it
needs, whether a public check gives the same verdict) and judges the plain reports of its
probes (the ``reports`` fixture) against what this grading made (the ``grading`` fixture).
``poolside check NOTEBOOK -k q13`` runs them on one notebook with pytest's usual output.
"""
