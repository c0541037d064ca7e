#!/usr/bin/env bash
# The whole test suite: install, lint, then pytest (extra arguments go to pytest).
#
# Uses the local PostgreSQL (127.0.0.1:5432, user postgres) when it answers, else SQLite,
# and exposes a local Redis to the tests as TEST_REDIS_URL when it answers. An explicitly
# set DATABASE_URL or TEST_REDIS_URL is kept as is.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
PY=.venv/bin/python

eval "$("$PY" scripts/detect_services.py)"

echo "ruff: checking (make lint also checks formatting)"
"$PY" -m ruff check .

exec "$PY" -m pytest "$@"
