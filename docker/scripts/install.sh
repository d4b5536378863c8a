#!/usr/bin/env bash
# Installs what this machine lacks of docker/scripts/requirements.txt, in one step.
#   install.sh [engine] setup   what ./build.sh Setup needs (engine: also Debian's Docker engine)
#   install.sh test             what .ci/run needs (everything)
#   install.sh --check FOR...   lists what is missing, installs nothing (exit 3 when something is)
# apt's lists are refreshed only when they are missing or older than a day. Without root, a missing
# package is one line naming the command to run, and exit 2. npm tools go to .nuke/temp/node-tools.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
check=0
if [[ ${1:-} == --check ]]; then check=1; shift; fi
purposes=" $* "
for p in "$@"; do [[ $p == engine || $p == setup || $p == test ]] || set -- ; done
(($#)) || { echo "usage: install.sh [--check] [engine] setup|test" >&2; exit 2; }
tools=$root/.nuke/temp/node-tools

apt_missing=() npm_missing=()
while read -r kind name wanted_for; do
  wanted=0
  for p in $wanted_for; do [[ $purposes == *" $p "* ]] && wanted=1; done
  ((wanted)) || continue
  case $kind in
    # A package that a killed install left half-configured counts as missing: apt finishes it.
    apt) [[ $(dpkg-query -W -f '${db:Status-Abbrev}' "$name" 2>/dev/null) == "ii " ]] || apt_missing+=("$name") ;;
    npm) [[ -f $tools/node_modules/${name%@*}/package.json ]] \
           && grep -q "\"version\": \"${name##*@}\"" "$tools/node_modules/${name%@*}/package.json" || npm_missing+=("$name") ;;
  esac
done < <(awk '!/^#/ && NF { printf "%s %s", $1, $2; for (i = 3; i <= NF && ($i == "engine" || $i == "setup" || $i == "test"); i++) printf " %s", $i; print "" }' \
           "$root/docker/scripts/requirements.txt")

missing=("${apt_missing[@]}" "${npm_missing[@]}")
((${#missing[@]} == 0)) && exit 0
if ((check)); then echo "missing: ${missing[*]}"; exit 3; fi

if ((${#apt_missing[@]})); then
  if [[ $(id -u) != 0 ]]; then
    echo "error: this machine lacks ${apt_missing[*]}: run sudo docker/scripts/install.sh$purposes(or sudo apt-get install ${apt_missing[*]})" >&2
    exit 2
  fi
  echo "installing ${apt_missing[*]} (apt-get; about a minute)"
  export DEBIAN_FRONTEND=noninteractive
  # A new machine has no package lists; a day-old list may name versions the mirror no longer has.
  if [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 -print -quit 2>/dev/null) ]]; then
    apt-get update -qq >/dev/null
  fi
  # A dpkg run killed midway must be finished before apt installs anything else.
  dpkg --configure -a >/dev/null 2>&1 || true
  log=$(mktemp)
  if ! apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >"$log" 2>&1; then
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >"$log" 2>&1 \
      || { echo "error: apt-get install ${apt_missing[*]} failed: $(grep -m1 -E '^E:' "$log" || tail -n 1 "$log")" >&2; rm -f "$log"; exit 1; }
  fi
  rm -f "$log"
fi

if ((${#npm_missing[@]})); then
  command -v npm >/dev/null || { echo "error: npm not found, needed for ${npm_missing[*]}: install Node.js with npm" >&2; exit 2; }
  echo "installing ${npm_missing[*]} into .nuke/temp/node-tools (npm)"
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --silent "${npm_missing[@]}" >/dev/null
fi
