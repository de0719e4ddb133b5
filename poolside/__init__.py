"""poolside: build, reference results and grading for the Spotify hierarchical-model assignment."""

__version__ = "0.1.0"
