"""Checking helpers for the hidden tests: models by log-density, fits by provenance and
Monte Carlo-sized bands, predictions on a stand-in posterior, plots by their Axes."""

from .feedback import GradingError

__all__ = ["GradingError"]
