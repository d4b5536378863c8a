#!/usr/bin/env bash
# Generates a local certificate authority and a server certificate for nginx, signed by it.
#   nginx/gen-certs.sh [--force] [OUT_DIR]      (OUT_DIR defaults to nginx/certs)
# Writes ca.crt, ca.key, server.crt (leaf + CA chain), server.key. The server certificate covers
# localhost, api.localhost, *.localhost, 127.0.0.1 and ::1 plus any names in SLIPWAY_CERT_NAMES (space separated DNS names).
# Existing certificates valid for at least 30 more days are kept unless --force is given.
# Never commit the output: nginx/.gitignore excludes nginx/certs/.
set -euo pipefail

force=0
if [[ ${1:-} == --force ]]; then force=1; shift; fi
out=${1:-$(cd "$(dirname "$0")" && pwd)/certs}
# The nginx container runs as uid/gid 101; the key is made readable by that group when we can.
container_gid=${SLIPWAY_CERT_GID:-101}

command -v openssl >/dev/null || { echo "gen-certs: openssl not found; install it (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$out"
# nginx's unprivileged user must reach the files; the CA key itself stays owner-only.
chmod 755 "$out"

if ((force == 0)) && [[ -s $out/server.crt && -s $out/server.key && -s $out/ca.crt ]] \
   && openssl x509 -in "$out/server.crt" -noout -checkend $((30 * 86400)) >/dev/null 2>&1; then
  echo "gen-certs: keeping the valid certificates in $out"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

san="DNS:localhost,DNS:api.localhost,DNS:*.localhost,IP:127.0.0.1,IP:::1"
for name in ${SLIPWAY_CERT_NAMES:-}; do san+=",DNS:$name"; done

openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 -days 825 \
  -subj "/CN=Slipway local CA" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null

openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 \
  -subj "/CN=localhost" -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null

cat > "$work/server.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$san
EXT
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
  -sha256 -days 397 -extfile "$work/server.ext" -out "$work/server.leaf.crt" 2>/dev/null
cat "$work/server.leaf.crt" "$work/ca.crt" > "$work/server.crt"

chmod 600 "$work/ca.key"
chmod 640 "$work/server.key"
chmod 644 "$work/ca.crt" "$work/server.crt"
if [[ $(id -u) == 0 ]]; then chgrp "$container_gid" "$work/server.key"; fi
mv -f "$work/ca.key" "$work/ca.crt" "$work/server.key" "$work/server.crt" "$out/"
echo "gen-certs: wrote a local CA and a server certificate for $san to $out"
