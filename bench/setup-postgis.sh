#!/usr/bin/env bash
# Install PostGIS for the locate benchmark (Debian 12, PostgreSQL 15) and enable it in one
# database. Safe to run again: it does nothing when the extension is already there.
#   bench/setup-postgis.sh [DATABASE]        (default: postgres on 127.0.0.1:5432, user postgres)
set -u
db=${1:-postgres}
psql_cmd=(psql -h 127.0.0.1 -p 5432 -U postgres -d "$db" -v ON_ERROR_STOP=1 -qAt)

if "${psql_cmd[@]}" -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null 2>&1; then
  echo "PostGIS is available in database $db."
  exit 0
fi

echo "PostGIS is missing: installing postgresql-15-postgis-3 from Debian …"
sudo=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y postgresql-15-postgis-3 >/tmp/yemai-postgis-install.log 2>&1 \
  || { $sudo apt-get update >>/tmp/yemai-postgis-install.log 2>&1 \
       && $sudo apt-get install -y postgresql-15-postgis-3 >>/tmp/yemai-postgis-install.log 2>&1; }

if "${psql_cmd[@]}" -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null 2>&1; then
  echo "PostGIS installed and enabled in database $db."
  exit 0
fi
echo "PostGIS is unavailable (see /tmp/yemai-postgis-install.log)."
exit 1
