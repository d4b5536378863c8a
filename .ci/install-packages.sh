#!/usr/bin/env bash
# Debian packages the tests use; installs only what is missing.
set -euo pipefail
packages=(docker.io docker-registry skopeo debootstrap apache2-utils postgresql-15 redis-server nginx-light
          openssl chromium wrk docker-compose)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
