"""A time limit for calling student code from a check.

A student function that never returns would otherwise stall the grading cell, and with it
every question's result. The alarm turns the hang into a failed check for that question only.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

from .feedback import GradingError

__all__ = ["time_limit", "CALL_SECONDS"]

#: Far above what any exercise's function needs (the slowest, a plot, takes about 1 s).
CALL_SECONDS = 20.0


@contextmanager
def time_limit(what: str, seconds: float = CALL_SECONDS):
    """Raise :class:`GradingError` in the block if it runs longer than ``seconds``.

    Uses SIGALRM, so it only acts in the main thread (where notebook code runs); elsewhere it
    does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise GradingError(f"`{what}` did not finish within {seconds:g} seconds; look for a "
                           "loop that never ends.")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
