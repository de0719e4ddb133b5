#!/usr/bin/env bash
# Set up, then run the whole test suite (unit tests, reference agreement, Otter end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pytest "$@"
