#!/usr/bin/env bash
# Start-up cost, measured in one run: a warm `./build.sh --help` (our bootstrap: hash the build's
# inputs, then run the compiled build directly) against a warm `dotnet build build/_build.csproj`
# (what a NUKE-style bootstrap pays on every start). Writes artifacts/benchmarks/startup.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-7}
out=artifacts/benchmarks
mkdir -p "$out"

median_ms() { # command... → median wall time in ms over $runs runs
  local times=() i start end
  for ((i = 0; i < runs; i++)); do
    start=$(date +%s%N); "$@" >/dev/null 2>&1; end=$(date +%s%N)
    times+=($(((end - start) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

# warm both paths first
./build.sh --help >/dev/null
dotnet build build/_build.csproj --nologo -v q >/dev/null

ours=$(median_ms ./build.sh --help)
baseline=$(median_ms dotnet build build/_build.csproj --nologo -v q)
ratio=$(awk -v a="$ours" -v b="$baseline" 'BEGIN { printf "%.3f", a / b }')

cat >"$out/startup.md" <<MD
# Start-up: warm \`./build.sh --help\` vs warm \`dotnet build build/_build.csproj\`

Median of $runs runs each, same machine, same run ($(nproc) cores).

| command | median |
|---|---:|
| \`./build.sh --help\` (inputs unchanged: MSBuild skipped) | ${ours} ms |
| \`dotnet build build/_build.csproj\` (up to date) | ${baseline} ms |
| **ratio** | **${ratio}** (target ≤ 0.25) |
MD
cat "$out/startup.md"
