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

# Browser tests drive Debian's Chromium; install it once where we may (root with apt).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing chromium + chromium-driver for the browser tests"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            chromium chromium-driver fonts-dejavu-core >/dev/null) \
            || echo "warning: could not install chromium; browser tests will be skipped"
    else
        echo "chromium not found and cannot install it: browser tests will be skipped"
    fi
fi

eval "$("$PY" scripts/detect_services.py)"

echo "ruff: checking (make lint also checks formatting)"
"$PY" -m ruff check .

exec "$PY" -m pytest "$@"
