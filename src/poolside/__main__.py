"""``python -m poolside``: the same command as ``poolside``."""

from poolside.cli import cli

if __name__ == "__main__":
    cli(prog_name="poolside")
