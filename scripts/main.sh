#!/usr/bin/env bash
# Set up, build dist/ from the master notebook, and grade the solution and the untouched
# student notebook, printing their scores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/poolside demo
