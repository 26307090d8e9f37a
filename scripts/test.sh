#!/usr/bin/env bash
# Install Yemai with its test tools in .venv and run every check and the whole test suite,
# on SQLite and on PostgreSQL (started here if it is not running). Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/_venv.sh" test
source "$(dirname "$0")/_system.sh"
ensure_system_packages

PG_URL="${YEMAI_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/yemai}"

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return 0; fi
  echo "==> starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && return 0
    sleep 1
  done
  echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2
  return 1
}

ensure_postgres
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "select 1 from pg_database where datname='yemai'" | grep -q 1; then
  psql -h 127.0.0.1 -U postgres -d postgres -qc "create database yemai"
fi

echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check . >/dev/null || { .venv/bin/ruff format --diff . | head -40; exit 1; }

echo "==> django checks"
export DJANGO_SETTINGS_MODULE=tests.settings
.venv/bin/python -m django check --fail-level WARNING
.venv/bin/python -m django makemigrations --check --dry-run >/dev/null

echo "==> tests on SQLite"
DATABASE_URL="sqlite:///:memory:" .venv/bin/pytest "$@"

echo "==> tests on PostgreSQL"
DATABASE_URL="$PG_URL" .venv/bin/pytest "$@"
