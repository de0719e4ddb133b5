"""What runs on the student's side: executing the notebook and the probes that read it.

Nothing in this package knows an answer. It is copied into each submission's sandbox, next
to the notebook, and everything it reports crosses back as plain data (:mod:`.wire`): JSON,
and ``.npz`` arrays read without pickle. The grader trusts none of it until
:mod:`autograder.checks` has checked it against what only the grader knows.
"""
