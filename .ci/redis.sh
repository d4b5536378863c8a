#!/usr/bin/env bash
# redis-server (Debian) on 127.0.0.1:56379 for the tests.
#   redis.sh start|stop      folder: $SLIPWAY_REDIS_DIR (default .nuke/temp/redis)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${SLIPWAY_REDIS_DIR:-$root/.nuke/temp/redis}
port=${SLIPWAY_REDIS_PORT:-56379}
pidfile=$dir/redis.pid

case ${1:-} in
  start)
    command -v redis-server >/dev/null || { echo "redis-server not found: apt-get install redis-server" >&2; exit 1; }
    mkdir -p "$dir"
    if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then echo "redis already running"; exit 0; fi
    redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --pidfile "$pidfile" \
      --dir "$dir" --save '' --appendonly no --logfile "$dir/redis.log"
    for _ in $(seq 1 240); do # up to 60 s: next to a build on a loaded machine
      redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && { echo "redis ready at 127.0.0.1:$port"; exit 0; }
      sleep 0.25
    done
    echo "redis did not start; see $dir/redis.log" >&2; exit 1
    ;;
  stop)
    if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then kill "$(cat "$pidfile")"; echo "redis stopped"; fi
    ;;
  *) echo "usage: redis.sh start|stop" >&2; exit 2 ;;
esac
