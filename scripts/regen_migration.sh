#!/usr/bin/env bash
# Development helper (before the first release only): rebuild the initial migration from the models.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/*.py
INSTANCE_PATH="$tmp" DATABASE_URL="sqlite:///$tmp/m.sqlite3" FLASK_APP=wsgi.py .venv/bin/flask db migrate -m "initial schema" >/dev/null 2>&1
rm -rf "$tmp"
ls migrations/versions/
