#!/usr/bin/env bash
# Install, migrate, load the demo museum into an empty database, collect static files and
# serve the site with daphne on http://127.0.0.1:8000 (HOST and PORT override).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
PY=.venv/bin/python

"$PY" manage.py migrate --noinput
"$PY" manage.py load_demo --if-empty
"$PY" manage.py collectstatic --noinput --verbosity 0

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
echo "Serving on http://$HOST:$PORT/ (Ctrl+C to stop)"
exec "$PY" -m daphne -b "$HOST" -p "$PORT" museum_site.asgi:application
