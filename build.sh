#!/usr/bin/env bash
# Bootstrap: finds a .NET SDK that satisfies global.json (or installs one into .nuke/temp), compiles
# the build project only when build/ or the libraries it uses changed, then runs it.
set -eo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
temp=$root/.nuke/temp
bin=$temp/build-bin
stamp=$temp/build-inputs.sha
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

required=$(sed -n 's/.*"version"[^"]*"\([0-9.]*\)".*/\1/p' "$root/global.json")
band=${required%??}   # 10.0.100 -> 10.0.1 (feature band prefix, rollForward latestFeature)

sdk_ok() {
  local dotnet=$1 v
  command -v "$dotnet" >/dev/null 2>&1 || return 1
  while read -r v _; do
    [[ ${v%%.*} == "${required%%.*}" && $(cut -d. -f2 <<<"$v") == $(cut -d. -f2 <<<"$required") ]] || continue
    [[ $(cut -d. -f3 <<<"$v") -ge $(cut -d. -f3 <<<"$required") ]] && return 0
  done < <("$dotnet" --list-sdks 2>/dev/null)
  return 1
}

if sdk_ok dotnet; then
  dotnet=dotnet
elif sdk_ok "$temp/dotnet/dotnet"; then
  dotnet=$temp/dotnet/dotnet
else
  echo "installing .NET SDK ${band}xx (global.json) into .nuke/temp/dotnet" >&2
  mkdir -p "$temp"
  curl -fsSL https://dot.net/v1/dotnet-install.sh -o "$temp/dotnet-install.sh" ||
    { echo "error: no .NET SDK ${required%.*}.x found and dotnet-install.sh could not be downloaded: install the SDK from global.json" >&2; exit 2; }
  bash "$temp/dotnet-install.sh" --jsonfile "$root/global.json" --install-dir "$temp/dotnet" --no-path >/dev/null
  dotnet=$temp/dotnet/dotnet
fi

# The build's inputs: its own sources and the libraries it references. Unchanged inputs skip MSBuild.
inputs_hash() {
  cd "$root" && find build src/Slipway.Engine src/Slipway.Tools src/Slipway.Delivery \
      -type f \( -name '*.cs' -o -name '*.csproj' \) -not -path '*/bin/*' -not -path '*/obj/*' -print0 |
    sort -z | xargs -0 sha1sum | cat - global.json Directory.Build.props Directory.Packages.props | sha1sum | cut -c1-40
}
hash=$(inputs_hash)
if [[ ! -f $bin/_build.dll || ! -f $stamp || $(cat "$stamp") != "$hash" ]]; then
  mkdir -p "$temp"
  rm -f "$stamp"
  if ! "$dotnet" build "$root/build/_build.csproj" -c Debug -o "$bin" --nologo -v q -clp:NoSummary >"$temp/build-compile.log" 2>&1; then
    grep -E 'error [A-Z]+[0-9]+' "$temp/build-compile.log" | sort -u >&2 || cat "$temp/build-compile.log" >&2
    echo "error: the build project does not compile (full log: .nuke/temp/build-compile.log)" >&2
    exit 2
  fi
  echo "$hash" >"$stamp"
fi

cd "$root"
exec "$dotnet" "$bin/_build.dll" "$@"
