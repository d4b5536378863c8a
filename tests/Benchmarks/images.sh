#!/usr/bin/env bash
# BuildImages benchmark: cold vs unchanged second build, API image size vs a single-stage SDK image.
# Needs DOCKER_HOST (and, to use the seeded mirror, SLIPWAY_TEST_REGISTRY with its user/password).
# Writes artifacts/benchmarks/images.md; exits 1 when a target is missed.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec dotnet run -c Release --project tests/Benchmarks/images/Images.Benchmark.csproj
