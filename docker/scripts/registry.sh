#!/usr/bin/env bash
# A local registry (Debian's docker-registry, distribution 2.8) with htpasswd basic auth: the same
# login flow as ECR (user AWS, token as password).
#   registry.sh start|stop      folder: $SLIPWAY_REGISTRY_DIR (default .nuke/temp/registry)
#   address: $SLIPWAY_REGISTRY_ADDR (default 127.0.0.1:5000); user: $SLIPWAY_REGISTRY_USER (AWS);
#   password: $SLIPWAY_REGISTRY_PASSWORD, else the one kept in $dir/password (made once).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${SLIPWAY_REGISTRY_DIR:-$root/.nuke/temp/registry}
addr=${SLIPWAY_REGISTRY_ADDR:-${SLIPWAY_TEST_REGISTRY:-127.0.0.1:5000}}
user=${SLIPWAY_REGISTRY_USER:-${SLIPWAY_TEST_REGISTRY_USER:-AWS}}
pidfile=$dir/registry.pid

running() { [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case ${1:-} in
  start)
    if running; then echo "registry already running at $addr"; exit 0; fi
    command -v docker-registry >/dev/null || { echo "docker-registry not found: apt-get install docker-registry apache2-utils" >&2; exit 1; }
    mkdir -p "$dir/data"
    password=${SLIPWAY_REGISTRY_PASSWORD:-${SLIPWAY_TEST_REGISTRY_PASSWORD:-}}
    if [[ -z $password ]]; then
      [[ -f $dir/password ]] || head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$dir/password"
      password=$(cat "$dir/password")
    else
      printf '%s' "$password" >"$dir/password"
    fi
    chmod 600 "$dir/password"
    htpasswd -Bbn "$user" "$password" >"$dir/htpasswd"
    cat >"$dir/config.yml" <<YAML
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $dir/data }
  delete: { enabled: true }
http:
  addr: $addr
  headers: { X-Content-Type-Options: [nosniff] }
auth:
  htpasswd: { realm: slipway, path: $dir/htpasswd }
YAML
    # Its own session, as the engine's: a Ctrl-C aimed at the build that started it does not reach the registry.
    setsid nohup docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 240); do # up to 60 s: next to a build on a loaded machine
      code=$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/v2/" || true)
      if [[ $code == 401 || $code == 200 ]]; then echo "registry ready at $addr (user $user)"; exit 0; fi
      sleep 0.25
    done
    echo "registry did not start; see $dir/registry.log" >&2; exit 1
    ;;
  stop)
    if running; then kill "$(cat "$pidfile")"; rm -f "$pidfile"; echo "registry stopped"; fi
    ;;
  *) echo "usage: registry.sh start|stop" >&2; exit 2 ;;
esac
