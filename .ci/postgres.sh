#!/usr/bin/env bash
# PostgreSQL 15 (Debian) on 127.0.0.1:55432 for the tests, run as the postgres user from its own folder.
#   postgres.sh start|stop      folder: $SLIPWAY_PG_DIR (default .nuke/temp/postgres)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${SLIPWAY_PG_DIR:-$root/.nuke/temp/postgres}
port=${SLIPWAY_PG_PORT:-55432}
bin=/usr/lib/postgresql/15/bin
as_pg() { runuser -u postgres -- "$@"; }

case ${1:-} in
  start)
    [[ -x $bin/initdb ]] || { echo "PostgreSQL 15 not installed: apt-get install postgresql-15" >&2; exit 1; }
    mkdir -p "$dir"; chown postgres:postgres "$dir"
    if [[ ! -f $dir/data/PG_VERSION ]]; then
      as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null
    psql_() { as_pg psql -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
    [[ $(psql_ -c "select 1 from pg_roles where rolname='slipway'") == 1 ]] ||
      psql_ -c "create role slipway login superuser password 'slipway'"
    [[ $(psql_ -c "select 1 from pg_database where datname='slipway_test'") == 1 ]] ||
      psql_ -c "create database slipway_test owner slipway"
    echo "postgres ready at 127.0.0.1:$port"
    ;;
  stop)
    if [[ -f $dir/data/postmaster.pid ]]; then
      as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null && echo "postgres stopped"
    fi
    ;;
  *) echo "usage: postgres.sh start|stop" >&2; exit 2 ;;
esac
