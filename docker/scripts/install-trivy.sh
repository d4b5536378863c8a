#!/usr/bin/env bash
# Installs Trivy at the version pinned here, and only when its archive has the SHA-256 pinned here. This file is
# the one place Trivy's version lives: CI's "Install Trivy" step runs it.
#   install-trivy.sh [--prefix DIR]                   downloads the release archive, verifies it, installs DIR/bin/trivy
#   install-trivy.sh --archive FILE [--prefix DIR]    the same from an archive already on this machine (no download)
#   install-trivy.sh --verify FILE SHA256             the check alone: exit 0 when FILE has that SHA-256, else 1
# DIR defaults to /usr/local (run with sudo there). A mismatch is one line on stderr and exit 1, before anything is
# installed. To move to another release, take the SHA-256 of trivy_<version>_Linux-64bit.tar.gz from that release's
# trivy_<version>_checksums.txt (https://github.com/aquasecurity/trivy/releases) and change both lines below.
set -euo pipefail

TRIVY_VERSION=0.69.2
TRIVY_SHA256=affa59a1e37d86e4b8ab2cd02f0ab2e63d22f1bf9cf6a7aa326c884e25e26ce3   # trivy_0.69.2_Linux-64bit.tar.gz

usage() { echo "usage: install-trivy.sh [--archive FILE] [--prefix DIR] | --verify FILE SHA256" >&2; exit 2; }

verify() { # FILE SHA256
  local actual
  [[ -f $1 ]] || { echo "error: $1 does not exist" >&2; return 1; }
  actual=$(sha256sum "$1" | cut -d' ' -f1)
  if [[ $actual != "$2" ]]; then
    echo "error: $(basename "$1") has SHA-256 $actual, expected $2: not installing it (a corrupt or tampered download)" >&2
    return 1
  fi
}

archive='' prefix=/usr/local
while (($#)); do
  case $1 in
    --verify) (($# == 3)) || usage; verify "$2" "$3"; exit ;;
    --archive) (($# >= 2)) || usage; archive=$2; shift 2 ;;
    --prefix) (($# >= 2)) || usage; prefix=$2; shift 2 ;;
    *) usage ;;
  esac
done

name=trivy_${TRIVY_VERSION}_Linux-64bit.tar.gz
[[ $(uname -s) == Linux && $(uname -m) == x86_64 ]] \
  || { echo "error: only $name (Linux x86_64) is pinned here; this machine is $(uname -s) $(uname -m)" >&2; exit 1; }
[[ -d $prefix/bin && -w $prefix/bin ]] || { echo "error: cannot write to $prefix/bin: run with sudo, or pass --prefix DIR" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ -z $archive ]]; then
  archive=$work/$name
  curl -fsSL --retry 3 -o "$archive" "https://github.com/aquasecurity/trivy/releases/download/v$TRIVY_VERSION/$name"
fi
verify "$archive" "$TRIVY_SHA256" || exit 1
tar -xzf "$archive" -C "$work" trivy
install -m 0755 "$work/trivy" "$prefix/bin/trivy"
"$prefix/bin/trivy" --version | grep -qx "Version: $TRIVY_VERSION" \
  || { echo "error: $prefix/bin/trivy does not report version $TRIVY_VERSION" >&2; exit 1; }
echo "trivy $TRIVY_VERSION installed in $prefix/bin (SHA-256 verified)"
