#!/usr/bin/env bash
# The whole suite: SQLite (with the browser tests), then PostgreSQL when reachable.
# Under CI (CI=true) a missing PostgreSQL or Chromium is a failure, never a skip.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL_BASE=${JICENG_TEST_PG:-postgres://postgres@127.0.0.1:5432}
status=0

echo "== lint (ruff)"
$BIN/ruff check . || status=1
$BIN/ruff format --check . || status=1

echo "== translations (every Chinese string has its English)"
$BIN/python scripts/i18n_check.py || status=1

echo "== SQLite"
env -u DATABASE_URL $BIN/pytest -q -n 2 --dist loadgroup "$@" || status=1

if $BIN/python - "$PG_URL_BASE/postgres" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as e:
    print(f"PostgreSQL not reachable: {e}", file=sys.stderr)
    sys.exit(1)
PY
then
  echo "== PostgreSQL"
  # A throwaway database per run: pytest-django creates test_<name> and drops it afterwards.
  DATABASE_URL="$PG_URL_BASE/jiceng_run_$$" $BIN/pytest -q -n 2 --dist loadgroup -m "not browser" "$@" || status=1
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is required under CI" >&2
  status=1
else
  echo "!! PostgreSQL not reachable: only SQLite was tested"
fi
exit $status
