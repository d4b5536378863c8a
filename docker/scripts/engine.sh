#!/usr/bin/env bash
# A private Docker engine (Debian's docker.io; overlay2 storage where the kernel allows it, else vfs)
# whose state lives in one folder.
#   engine.sh start|stop|status     folder: $SLIPWAY_ENGINE_DIR (default .nuke/temp/engine)
# The socket is $SLIPWAY_ENGINE_DIR/docker.sock; stop kills the engine by its pid file only.
# Its networks take /24s of 10.150.0.0/16, not Docker's default pools: those are shared with every other engine on
# the host and with bridges that engines left behind, and once all 31 are taken no network can be created.
# With SLIPWAY_ENGINE_TLS_PORT and SLIPWAY_ENGINE_TLS_DIR (ca.pem, server-cert.pem, server-key.pem) it also
# listens on tcp://127.0.0.1:<port> with TLS, accepting only client certificates signed by that ca.pem:
# a remote engine as staging and prod reach theirs (DOCKER_HOST=tcp://..., DOCKER_CERT_PATH).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${SLIPWAY_ENGINE_DIR:-$root/.nuke/temp/engine}
sock=$dir/docker.sock
pidfile=$dir/dockerd.pid

pool=10.150.0.0/16

running() { [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

# The host interfaces of this engine's bridge networks. dockerd leaves them behind when it stops (and makes them again
# when it starts on the same folder); once the folder is gone, nothing would remove them. None when it does not answer.
bridges() {
  local ids
  ids=$(DOCKER_HOST=unix://$sock timeout 20 docker network ls -q --no-trunc --filter driver=bridge 2>/dev/null) || return 0
  [[ -n $ids ]] || return 0
  # shellcheck disable=SC2086
  DOCKER_HOST=unix://$sock timeout 20 docker network inspect $ids 2>/dev/null \
    --format '{{$name := index .Options "com.docker.network.bridge.name"}}{{if $name}}{{$name}}{{else}}br-{{printf "%.12s" .Id}}{{end}}' || true
}

# With no engine running, a bridge holding an address of our pool, or a swarm test engine's gateway (gwb…), is what
# an engine killed before its stop left behind.
remove_left_bridges() {
  pgrep -x dockerd >/dev/null && return 0
  ip -o -4 addr show type bridge | while read -r _ name _ address _; do
    if [[ $address == "${pool%.0.0/16}".* || $name == gwb* ]] && ip link delete "$name" 2>/dev/null; then
      echo "engine: removed $name ($address), a bridge a stopped engine left on the host"
    fi
  done
}

case ${1:-} in
  start)
    if running; then echo "engine already running at unix://$sock"; exit 0; fi
    command -v dockerd >/dev/null || { echo "dockerd not found: install Debian's docker.io (apt-get install docker.io)" >&2; exit 1; }
    mkdir -p "$dir/data" "$dir/exec"
    rm -f "$sock"
    remove_left_bridges
    tls=()
    if [[ -n ${SLIPWAY_ENGINE_TLS_PORT:-} ]]; then
      certs=${SLIPWAY_ENGINE_TLS_DIR:?set SLIPWAY_ENGINE_TLS_DIR to the folder with ca.pem, server-cert.pem and server-key.pem}
      tls=(--host="tcp://127.0.0.1:$SLIPWAY_ENGINE_TLS_PORT" --tlsverify --tlscacert="$certs/ca.pem"
        --tlscert="$certs/server-cert.pem" --tlskey="$certs/server-key.pem")
    fi
    # overlay2 where the kernel and the data root's file system allow it (it does on ext4); vfs copies
    # every layer and is several times slower, so falling back to it is said in one line.
    # Its own session: a Ctrl-C (or kill) aimed at the build that started it does not reach the engine.
    launch() {
      setsid nohup dockerd --storage-driver="$1" --iptables=false --ip6tables=false --bridge=none \
        --default-address-pool="base=$pool,size=24" --host="unix://$sock" "${tls[@]}" --data-root="$dir/data" --exec-root="$dir/exec" --pidfile="$pidfile" \
        >"$dir/dockerd.log" 2>&1 &
      echo $!
    }
    wait_ready() { # wait_ready PID: 0 when the engine answers, 1 when dockerd exited or 60 s passed
      for _ in $(seq 1 120); do
        DOCKER_HOST=unix://$sock docker version >/dev/null 2>&1 && return 0
        kill -0 "$1" 2>/dev/null || return 1
        sleep 0.5
      done
      return 1
    }
    driver=${SLIPWAY_ENGINE_STORAGE_DRIVER:-overlay2}
    pid=$(launch "$driver")
    if ! wait_ready "$pid" && [[ $driver == overlay2 ]] && ! kill -0 "$pid" 2>/dev/null; then
      echo "engine: overlay2 is not available here ($(grep -m1 -io 'overlay[^"]*not supported[^"]*' "$dir/dockerd.log" || echo 'see dockerd.log')); falling back to vfs, which is slower"
      driver=vfs
      rm -f "$sock"
      pid=$(launch vfs)
      wait_ready "$pid" || true
    fi
    if DOCKER_HOST=unix://$sock docker version >/dev/null 2>&1; then
      echo "engine ready at unix://$sock ($driver)"; exit 0
    fi
    echo "engine did not start within 60 s; see $dir/dockerd.log" >&2
    tail -n 20 "$dir/dockerd.log" >&2 || true
    exit 1
    ;;
  stop)
    if running; then
      pid=$(cat "$pidfile")
      own_bridges=$(bridges)
      kill "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
      # A swarm engine leaves its network namespaces mounted; unmounted, the folder can be removed.
      for ns in "$dir"/exec/netns/*; do umount "$ns" 2>/dev/null || true; done
      for bridge in $own_bridges; do ip link delete "$bridge" 2>/dev/null || true; done
      echo "engine stopped"
    fi
    ;;
  status)
    if running; then echo "running at unix://$sock"; else echo "not running"; exit 1; fi
    ;;
  *) echo "usage: engine.sh start|stop|status" >&2; exit 2 ;;
esac
