#!/usr/bin/env bash
# Creates the database a postgres:// URL names when it does not exist yet, connecting to
# the same server's "postgres" database with the URL's credentials. For `make run` with
# DATABASE_URL (or MIGRATION_DATABASE_URL) set.
set -euo pipefail
url=${1:?usage: scripts/createdb.sh postgres://user@host:port/db}
rest=${url#*://}; hostpart=${rest%%/*}; path=${rest#*/}
db=${path%%\?*}; query=""
[[ "$path" == *\?* ]] && query="?${path#*\?}"
[ -n "$db" ] || { echo "the database URL names no database: $url" >&2; exit 1; }
admin="${url%%://*}://$hostpart/postgres$query"
exists=$(psql "$admin" -qAtc "select 1 from pg_database where datname = '${db//\'/\'\'}'") \
  || { echo "cannot reach PostgreSQL at $hostpart to create the database $db" >&2; exit 1; }
[ "$exists" = 1 ] || psql "$admin" -qc "create database \"${db//\"/\"\"}\"" >/dev/null
