"""What one grading makes for itself: a seed, the inputs probes are given, and its own copies.

Inputs are made afresh for each grading from a seed the grader draws, so no answer can be
computed ahead of time. The grader keeps the objects it made, to judge the reports against;
the probes get the same inputs as plain data (:attr:`Context.inputs`). An assignment's
registry subclasses :class:`Context` with the inputs its cases need.
"""

from __future__ import annotations

import secrets

import numpy as np

from .sandboxed import describe

__all__ = ["Context"]


class Context:
    """One grading's inputs for the probes, and the grader's own copies of them.

    Parameters
    ----------
    seed : int, optional
        Seeds every input; a fresh random one when None (as in real grading).
    """

    def __init__(self, seed: int | None = None):
        self.seed = secrets.randbits(32) if seed is None else int(seed)
        self.inputs: dict = {}
        self._made: dict = {}

    def _seed(self, key: str) -> int:
        # Each input gets its own stream, fixed by the grading's seed and the input's name.
        return int(np.random.SeedSequence([self.seed, *key.encode()]).generate_state(1)[0])

    def _remember(self, key, make):
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def once(self, key, make):
        """``make()``, computed the first time ``key`` is asked for in this grading: what
        several checks judge against (a reference model, a verdict on the same report) is
        built once. Keys are the caller's; they never collide with the inputs'."""
        return self._remember(("once", key), make)

    def table(self, key: str, make) -> dict:
        """An argument that is a pandas DataFrame ``make()`` returns, made once per grading;
        the probe passes its own copy. Returns the argument to put in a probe's plan."""
        def made():
            table = make()
            self.inputs[key] = {"kind": "frame", **describe.frame(table)}
            return table
        self._remember(key, made)
        return {"input": key}

    def made(self, key: str):
        """The grader's own copy of the input ``key``."""
        return self._made[key]

    def seed_for(self, key: str) -> int:
        """A seed to pass to a student's function (plain int, fixed by this grading); give it a
        key of its own, never the key of an input it is used with."""
        return self._seed(key) % 2**31
