"""``python -m poolside``: the same command as ``poolside``."""

from poolside.cli import cli

cli(prog_name="poolside")
