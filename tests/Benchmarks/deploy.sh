#!/usr/bin/env bash
# Deploy benchmark: every kind of change (app only, nginx only, both, a release that crashes at start, one
# that fails smoke, Rollback, Rollback again) shipped by our single-host and swarm strategies against Docker
# Swarm's `service update` / `service rollback` of the same images, under load, on a private engine started
# here and removed at the end (even on failure). About 5 minutes. Needs DOCKER_HOST (images are built there)
# and SLIPWAY_TEST_REGISTRY with its user/password. Writes artifacts/benchmarks/deploy.md; exits 1 when one of
# our changes failed a request, 2 when the run is void.
set -euo pipefail
cd "$(dirname "$0")/../.."
project=tests/Benchmarks/deploy/Deploy.Benchmark.csproj
dotnet build -c Release --nologo -v q "$project"

# Short, because the engine's socket path must fit a unix socket address.
engine=$(mktemp -d /tmp/slipway-deploy-bench.XXXXXX)
cleanup() {
  # Bridges are interfaces in the host's namespace and outlive the engine unless their networks are removed.
  (
    export DOCKER_HOST=unix://$engine/docker.sock
    docker swarm leave --force
    docker ps -aq | xargs -r docker rm -f
    docker network prune -f
  ) >/dev/null 2>&1 || true
  SLIPWAY_ENGINE_DIR=$engine bash docker/scripts/engine.sh stop || true
  # Whatever the engine left mounted under its folder (network namespaces) must go before the folder can.
  awk -v dir="$engine/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l || true
  rm -rf "$engine"
}
trap cleanup EXIT
SLIPWAY_ENGINE_DIR=$engine bash docker/scripts/engine.sh start
SLIPWAY_BENCHMARK_ENGINE_DIR=$engine dotnet run -c Release --no-build --project "$project"
