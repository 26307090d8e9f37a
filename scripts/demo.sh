#!/usr/bin/env bash
# Install Yemai in .venv, load the synthetic demo town into SQLite and serve it on :8000.
set -euo pipefail
source "$(dirname "$0")/_venv.sh" test
export YEMAI_DEMO=1
exec .venv/bin/yemai serve --demo --host "${YEMAI_HOST:-127.0.0.1}" --port "${YEMAI_PORT:-8000}"
