"""The one exception a check raises: its message is shown to the student as is."""

__all__ = ["GradingError"]


class GradingError(AssertionError):
    """A check failed; the message says what is wrong without giving the answer away."""
