#!/usr/bin/env bash
# Set up, then run the whole test suite: the fast lane first (no MCMC, no Otter runs; about a
# minute), so a broken check fails early, then the slow lane (fits, grading end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pytest -m "not slow" "$@"
.venv/bin/python -m pytest -m slow "$@"
