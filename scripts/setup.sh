#!/usr/bin/env bash
# Create .venv (Python 3.12 or newer) with the locked grading stack, pytest and poolside
# itself. Idempotent: reinstalls only when a lock or pyproject.toml changes.
set -euo pipefail
cd "$(dirname "$0")/.."

# PyMC 6 needs Python >= 3.12; on 3.11 an unpinned install silently falls back to PyMC 5.
find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$candidate"; return
    fi
  done
  # pyenv installs versions that are not on PATH unless selected
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
    [ -x "$candidate" ] && { echo "$candidate"; return; }
  done
  echo "need Python 3.12 or newer (set PYTHON=/path/to/python3.12)" >&2
  exit 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
  rm -rf .venv
  "$(find_python)" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements-dev.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements-dev.txt
  .venv/bin/python -m pip install --quiet --no-deps -e .
  echo "$want" > "$stamp"
fi

# Where root cannot make a network namespace, the sandbox closes the network for the student's
# uid with iptables (src/poolside/grading/sandbox.py); the tests try that path too.
if ! command -v iptables >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get install -y -qq iptables >/dev/null 2>&1 || true
fi

# Submissions are graded in a bubblewrap sandbox (src/poolside/grading/sandbox.py). Install it where we
# can; otherwise say how, once: grading still works, unsandboxed.
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq bubblewrap >/dev/null 2>&1; }) \
      || echo "could not install bubblewrap; grading will run unsandboxed" >&2
  else
    echo "note: install bubblewrap (e.g. sudo apt install bubblewrap) so that submissions are graded in a sandbox" >&2
  fi
fi
