#!/usr/bin/env bash
# Create .venv and install the pinned dependencies into it.
#
# Idempotent and fast when nothing changed: the sha256 of the requirements file is stored
# in .venv/.requirements.sha256 and pip only runs when it differs. Installs from
# requirements.lock, or from requirements.in when there is no lock yet.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv

if [ ! -x "$VENV/bin/python" ]; then
    if command -v python3.11 >/dev/null 2>&1; then
        BOOTSTRAP=python3.11
    elif command -v python3 >/dev/null 2>&1; then
        BOOTSTRAP=python3
    else
        echo "setup: Python 3.11 is required (neither python3.11 nor python3 found)." >&2
        exit 1
    fi
    "$BOOTSTRAP" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
        echo "setup: $BOOTSTRAP is older than Python 3.11." >&2
        exit 1
    }
    echo "setup: creating $VENV with $("$BOOTSTRAP" --version)"
    "$BOOTSTRAP" -m venv "$VENV"
fi

if [ -f requirements.lock ]; then
    REQUIREMENTS=requirements.lock
else
    REQUIREMENTS=requirements.in
    echo "setup: requirements.lock not found, installing from requirements.in" >&2
fi

STAMP="$VENV/.requirements.sha256"
WANTED="$("$VENV/bin/python" - "$REQUIREMENTS" <<'PY'
import hashlib, sys
with open(sys.argv[1], "rb") as handle:
    print(hashlib.sha256(handle.read()).hexdigest())
PY
)"

if [ "$(cat "$STAMP" 2>/dev/null || true)" = "$WANTED" ]; then
    echo "setup: $VENV is up to date with $REQUIREMENTS"
else
    echo "setup: installing $REQUIREMENTS into $VENV"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$WANTED" > "$STAMP"
fi
