#!/usr/bin/env bash
# A newcomer's first deploy, measured (issue #10). Writes artifacts/benchmarks/newcomer-*.md.
#
#   newcomer.sh first-deploy CLONE   in a fresh clone: ./build.sh Deploy from whatever this machine has (run
#                                    ../shared/tools/as-new-machine.sh --apply first for a new machine), each
#                                    phase timed, then /health; then a Deploy of a commit that changes only the
#                                    app, then an unchanged Deploy. Goals beside each figure.
#   newcomer.sh redeploy CLONE       only those two later Deploys, in a clone that already serves.
#   newcomer.sh storage              the private engine's storage drivers side by side: seeding (from a warm
#                                    debootstrap cache) and a cold build of the API image, overlay2 against vfs.
# Every server it starts is its own (temporary folders, ports 5055 and up) and is stopped at the end, except
# what first-deploy's Deploy starts in its clone (./build.sh Down stops that, as for any user).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
reports=$repo/artifacts/benchmarks
mkdir -p "$reports"
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# timed LOG CMD...: runs CMD, every output line prefixed with the seconds since it started, into LOG and stdout.
timed() {
  local log=$1 start; shift; start=$(now)
  "$@" 2>&1 | while IFS= read -r line; do printf '%7.1f %s\n' "$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')" "$line"; done | tee "$log"
  return "${PIPESTATUS[0]}"
}
# at LOG PATTERN: the time stamp of the first line matching PATTERN.
at() { grep -m1 -E "$2" "$1" | awk '{ print $1 }'; }
row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }

first_deploy() {
  local clone=$1 out=$reports/newcomer-first-deploy.md log1 log2 log3 t0 health
  [[ -x $clone/build.sh ]] || { echo "newcomer: $clone is not a clone of the repository" >&2; exit 2; }
  cd "$clone"
  log1=$(mktemp) log2=$(mktemp) log3=$(mktemp)
  t0=$(now)
  timed "$log1" ./build.sh Deploy
  health=$(curl -s --cacert nginx/certs/ca.crt https://localhost:8443/health)
  local to_health; to_health=$(secs "$t0" "$(now)")

  redeploys "$log2" "$log3"
  {
    echo "# A newcomer's first deploy ($(date -u +%F), $(nproc) cores)"
    echo
    echo "Fresh clone at $(git rev-parse --short HEAD~1); \`./build.sh Deploy\` alone. /health: \`$health\`"
    echo
    echo "| phase | seconds | goal |"
    echo "|---|---|---|"
    local p e r b c
    p=$(at "$log1" '^ *[0-9.]+ .*packages: ') e=$(at "$log1" 'engine: .* answers') r=$(at "$log1" 'registry: .* answers')
    b=$(at "$log1" 'base images: all') c=$(at "$log1" 'certificates: ')
    row "install (packages)" "$p" ""
    row "engine" "$(secs "$p" "$e")" ""
    row "registry" "$(secs "$e" "$r")" ""
    row "seeding the base images" "$(secs "$r" "$b")" ""
    row "certificates" "$(secs "$b" "$c")" ""
    echo
    echo "Targets of that first Deploy (the build's own table):"
    echo
    echo '```'
    sed -n '/Target  *Status/,/^ *[0-9.]* Build /p' "$log1" | cut -c9-
    echo '```'
    echo
    echo "| run | seconds | goal |"
    echo "|---|---|---|"
    row "new machine → /health serving" "$to_health" "≤ 300"
    redeploy_rows "$log2" "$log3"
  } >"$out"
  rm -f "$log1" "$log2" "$log3"
  cat "$out"
}

# redeploys LOG2 LOG3: a Deploy of a new commit that changes only the app (one source line), then an unchanged Deploy.
redeploys() {
  echo "// newcomer benchmark: a change to the app alone ($(date +%s))" >>src/Api/Program.cs
  git -c user.name=bench -c user.email=bench@localhost commit -qam "benchmark: change the app only"
  timed "$1" ./build.sh Deploy
  timed "$2" ./build.sh Deploy
}
redeploy_rows() {
  row "Deploy of a new commit that changes only the app" "$(tail -n 1 "$1" | awk '{ print $1 }')" "≤ 30"
  row "unchanged Deploy" "$(tail -n 1 "$2" | awk '{ print $1 }')" "≤ 10"
}

redeploy() {
  local clone=$1 out=$reports/newcomer-redeploy.md log2 log3
  [[ -x $clone/build.sh ]] || { echo "newcomer: $clone is not a clone of the repository" >&2; exit 2; }
  cd "$clone"
  log2=$(mktemp) log3=$(mktemp)
  redeploys "$log2" "$log3"
  {
    echo "# Redeploys in a clone that serves ($(date -u +%F), $(nproc) cores)"
    echo
    echo "| run | seconds | goal |"
    echo "|---|---|---|"
    redeploy_rows "$log2" "$log3"
  } >"$out"
  rm -f "$log2" "$log3"
  cat "$out"
}

storage() {
  local out=$reports/newcomer-storage.md port=5055 driver
  work=$(mktemp -d /tmp/slipway-storage.XXXXXX)
  local cache=${SLIPWAY_ROOTFS_CACHE:-$repo/.nuke/temp/rootfs}
  [[ -f $cache/dotnet/.complete ]] || { echo "newcomer: no warm debootstrap cache in $cache: seed once first (./build.sh Setup)" >&2; exit 2; }
  cleanup() {
    for driver in overlay2 vfs; do
      SLIPWAY_REGISTRY_DIR=$work/$driver/registry bash "$repo/docker/scripts/registry.sh" stop >/dev/null 2>&1 || true
      SLIPWAY_ENGINE_DIR=$work/$driver/engine bash "$repo/docker/scripts/engine.sh" stop >/dev/null 2>&1 || true
    done
    awk -v dir="$work/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l || true
    rm -rf "$work"
  }
  trap cleanup EXIT
  declare -A seeded built
  for driver in overlay2 vfs; do
    local dir=$work/$driver t
    export SLIPWAY_ENGINE_DIR=$dir/engine SLIPWAY_REGISTRY_DIR=$dir/registry DOCKER_HOST=unix://$dir/engine/docker.sock
    export SLIPWAY_TEST_REGISTRY=127.0.0.1:$port SLIPWAY_REGISTRY_ADDR=127.0.0.1:$port SLIPWAY_TEST_REGISTRY_PASSWORD=bench-$driver
    export SLIPWAY_ROOTFS_CACHE=$cache
    SLIPWAY_ENGINE_STORAGE_DRIVER=$driver bash "$repo/docker/scripts/engine.sh" start
    bash "$repo/docker/scripts/registry.sh" start
    t=$(now); bash "$repo/docker/scripts/seed-base-images.sh" >/dev/null; seeded[$driver]=$(secs "$t" "$(now)")
    t=$(now)
    DOCKER_BUILDKIT=0 docker build -q --no-cache -f "$repo/docker/api.Dockerfile" \
      --build-arg SDK_IMAGE="$SLIPWAY_TEST_REGISTRY/dotnet/sdk:10.0" --build-arg RUNTIME_IMAGE="$SLIPWAY_TEST_REGISTRY/dotnet/aspnet:10.0" \
      -t bench/api "$repo" >/dev/null
    built[$driver]=$(secs "$t" "$(now)")
    port=$((port + 1))
  done
  {
    echo "# Private engine storage: overlay2 against vfs ($(date -u +%F), $(nproc) cores)"
    echo
    echo "| step | overlay2 (s) | vfs (s) | overlay2 / vfs |"
    echo "|---|---|---|---|"
    echo "| seeding (warm debootstrap cache: import + push of 5 images) | ${seeded[overlay2]} | ${seeded[vfs]} | $(awk -v a="${seeded[overlay2]}" -v b="${seeded[vfs]}" 'BEGIN { printf "%.2f", a / b }') |"
    echo "| cold build of the API image (no cache) | ${built[overlay2]} | ${built[vfs]} | $(awk -v a="${built[overlay2]}" -v b="${built[vfs]}" 'BEGIN { printf "%.2f", a / b }') |"
  } >"$out"
  cat "$out"
}

case ${1:-} in
  first-deploy) first_deploy "${2:?usage: newcomer.sh first-deploy CLONE}" ;;
  redeploy) redeploy "${2:?usage: newcomer.sh redeploy CLONE}" ;;
  storage) storage ;;
  *) echo "usage: newcomer.sh first-deploy CLONE | redeploy CLONE | storage" >&2; exit 2 ;;
esac
