#!/usr/bin/env bash
# Prints the URL of a PostgreSQL server for `make run` and `make test`:
#   1. $DATABASE_URL_BASE if set,
#   2. else the server on 127.0.0.1:5432 ($LOTSE_LOCAL_PG_PORT) when one answers (user
#      postgres, trust auth),
#   3. else a private throwaway cluster (created and started here): under .postgres/ in
#      the checkout, or — as root, where initdb runs as the postgres user, who may not be
#      able to enter the checkout (a clone in `mktemp -d` or /root) — under
#      /var/tmp/lotse-postgres-<checkout hash>/, owned by postgres.
# Missing PostgreSQL binaries are installed from Debian's packages when run as root,
# otherwise named in one line. Everything but the URL goes to stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

if [ -n "${DATABASE_URL_BASE:-}" ]; then echo "$DATABASE_URL_BASE"; exit 0; fi

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

local_port=${LOTSE_LOCAL_PG_PORT:-5432}
if answers "$local_port" && psql "postgres://postgres@127.0.0.1:$local_port/postgres?sslmode=disable" -qAtc 'select 1' >/dev/null 2>&1; then
  echo "postgres://postgres@127.0.0.1:$local_port/postgres?sslmode=disable"; exit 0
fi

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing PostgreSQL from Debian's packages…" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2
    bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  else
    echo "PostgreSQL is missing: install it (Debian: apt-get install postgresql) or set DATABASE_URL_BASE" >&2; exit 1
  fi
fi

data="$root/.postgres"
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "running as root needs a postgres user to run PostgreSQL (apt-get install postgresql)" >&2; exit 1; }
  data="/var/tmp/lotse-postgres-$(printf %s "$root" | sha256sum | cut -c1-12)"
fi
as_pg() { if [ "$(id -u)" = 0 ]; then (cd / && su postgres -s /bin/sh -c "$*"); else sh -c "$*"; fi; }
if [ ! -f "$data/PG_VERSION" ]; then
  mkdir -p "$data"
  if [ "$(id -u)" = 0 ]; then chown postgres "$data" && chmod 700 "$data"; fi
  as_pg "'$bindir/initdb' -D '$data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null 2>"$data.initdb.log" \
    || { echo "initdb failed, see $data.initdb.log" >&2; exit 1; }
fi
port=$(cat "$data/lotse.port" 2>/dev/null || true)
if [ -z "$port" ] || ! answers "$port"; then
  port=55432
  while answers "$port"; do port=$((port + 1)); done
  as_pg "echo $port > '$data/lotse.port'"
  as_pg "'$bindir/pg_ctl' -D '$data' -l '$data/server.log' -w -o \"-p $port -k '$data' -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300\" start" >/dev/null \
    || { echo "PostgreSQL did not start, see $data/server.log" >&2; exit 1; }
  echo "started a throwaway PostgreSQL on 127.0.0.1:$port (data in $data)" >&2
fi
echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
