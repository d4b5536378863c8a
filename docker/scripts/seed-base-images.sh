#!/usr/bin/env bash
# Seeds the local image mirror with look-alike base images, because no public registry is reachable
# here. Every reference in docker/base-images.json is built from Debian packages (debootstrap), imported
# into the engine under BOTH its upstream name and its mirror name, and pushed to the mirror registry:
#   mcr.microsoft.com/dotnet/aspnet:10.0  ->  $SLIPWAY_TEST_REGISTRY/dotnet/aspnet:10.0
#   nginx:1.25-alpine                     ->  $SLIPWAY_TEST_REGISTRY/library/nginx:1.25-alpine
# Idempotent: a rootfs is debootstrapped once (cached under .nuke/temp/rootfs); an image whose recipe
# label matches is not re-imported; a tag the registry already serves is not re-pushed.
# Environment: DOCKER_HOST, SLIPWAY_TEST_REGISTRY (127.0.0.1:5000), SLIPWAY_TEST_REGISTRY_USER (AWS),
# SLIPWAY_TEST_REGISTRY_PASSWORD (else $SLIPWAY_REGISTRY_DIR/password). See docker/README.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

registry=${SLIPWAY_TEST_REGISTRY:-127.0.0.1:5000}
user=${SLIPWAY_TEST_REGISTRY_USER:-AWS}
password=${SLIPWAY_TEST_REGISTRY_PASSWORD:-}
if [[ -z $password ]]; then
  pwfile=${SLIPWAY_REGISTRY_DIR:-$root/.nuke/temp/registry}/password
  [[ -f $pwfile ]] || { echo "seed-base-images: no registry password: set SLIPWAY_TEST_REGISTRY_PASSWORD or start docker/scripts/registry.sh" >&2; exit 1; }
  password=$(cat "$pwfile")
fi
cache=${SLIPWAY_ROOTFS_CACHE:-$root/.nuke/temp/rootfs}
suite=bookworm
debian_mirror=${SLIPWAY_DEBIAN_MIRROR:-http://deb.debian.org/debian}

for tool in docker debootstrap curl; do
  command -v "$tool" >/dev/null || { echo "seed-base-images: $tool not found: run docker/scripts/install.sh setup" >&2; exit 1; }
done
[[ $(id -u) == 0 ]] || { echo "seed-base-images: debootstrap needs root" >&2; exit 1; }
docker version >/dev/null 2>&1 || { echo "seed-base-images: Docker engine not reachable at ${DOCKER_HOST:-unix:///var/run/docker.sock}: start docker/scripts/engine.sh or set DOCKER_HOST" >&2; exit 1; }

log() { printf 'seed: %s\n' "$*"; }

# docker/base-images.json is a flat {"name": "reference"} map; read it without jq.
ref_of() {
  local ref
  ref=$(sed -n "s/^ *\"$1\": *\"\([^\"]*\)\".*/\1/p" docker/base-images.json)
  [[ -n $ref ]] || { echo "seed-base-images: '$1' missing from docker/base-images.json" >&2; exit 1; }
  printf '%s' "$ref"
}

# The same rule as Slipway.Delivery.Images.ImageMirror: drop the source registry, keep the path,
# Docker Hub official images live under library/.
mirrored() {
  local ref=$1 first=${1%%/*}
  if [[ $ref == */* && ($first == *.* || $first == *:* || $first == localhost) ]]; then
    printf '%s/%s' "$registry" "${ref#*/}"
  elif [[ $ref == */* ]]; then
    printf '%s/%s' "$registry" "$ref"
  else
    printf '%s/library/%s' "$registry" "$ref"
  fi
}

# The Debian packages of each flavour of rootfs (debootstrap minbase plus these).
declare -A flavour_packages=([dotnet]=ca-certificates,libssl3 [postgres]=postgresql-15 [redis]=redis-server [nginx]=nginx-light)

# debootstrap a flavour once, when an image first needs it; the .complete marker makes an interrupted run start
# over, and a lock keeps two images of one flavour (aspnet, sdk) from making it twice at once.
rootfs() {
  local name=$1 include=${flavour_packages[$1]} dir=$cache/$1 lock
  exec {lock}>"$cache/$name.lock"
  flock "$lock"
  if [[ -f $dir/.complete ]]; then flock -u "$lock"; return; fi
  rm -rf "$dir"; mkdir -p "$cache/debs/$name"
  log "debootstrap $name (${include:-minbase})"
  debootstrap --variant=minbase ${include:+--include=$include} --cache-dir="$cache/debs/$name" \
    "$suite" "$dir" "$debian_mirror" >"$cache/$name.log" 2>&1 \
    || { echo "seed-base-images: debootstrap $name failed; see $cache/$name.log" >&2; exit 1; }
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* \
    "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/*
  touch "$dir/.complete"
  flock -u "$lock"
}

# Copy a cached rootfs into a scratch folder that the image recipe may change freely.
stage() {
  local from=$1 to=$cache/stage/$2
  rm -rf "$to"; mkdir -p "$to"
  cp -a "$cache/$from/." "$to/"
  rm -f "$to/.complete"
  printf '%s' "$to"
}

# The recipe of an image: the source of its build function and helpers, plus what it copies from the host.
recipe_hash() { { declare -f "$1" add_user; printf '%s\n' "${@:2}"; } | sha256sum | cut -c1-16; }

image_label() { docker image inspect --format '{{ index .Config.Labels "io.slipway.seed-recipe" }}' "$1" 2>/dev/null || true; }

in_registry() {
  local ref=$1 path=${1#*/} name tag
  name=${path%:*}; tag=${path##*:}
  [[ $(curl -s -o /dev/null -w '%{http_code}' -u "$user:$password" \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$registry/v2/$name/manifests/$tag") == 200 ]]
}

# import NAME ROOTFS HASH [--change ...]: one layer from the rootfs, tagged upstream + mirror.
# `docker import` cannot set STOPSIGNAL; $stopsignal adds it with a metadata-only build step.
import() {
  local name=$1 dir=$2 hash=$3; shift 3
  local upstream mirror
  upstream=$(ref_of "$name"); mirror=$(mirrored "$upstream")
  log "import $upstream as $mirror"
  tar -C "$dir" --numeric-owner --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* -c . \
    | docker import --change "LABEL io.slipway.seed-recipe=$hash" "$@" - "$mirror" >/dev/null
  if [[ -n ${stopsignal:-} ]]; then
    printf 'FROM %s\nSTOPSIGNAL %s\n' "$mirror" "$stopsignal" | DOCKER_BUILDKIT=0 docker build -q -t "$mirror" - >/dev/null 2>"$cache/build-$name.log" \
      || { echo "seed-base-images: setting STOPSIGNAL on $mirror failed: $(cat "$cache/build-$name.log")" >&2; exit 1; }
  fi
  docker tag "$mirror" "$upstream"
  rm -rf "$dir"
}

push() {
  local mirror; mirror=$(mirrored "$(ref_of "$1")")
  if in_registry "$mirror"; then log "$mirror already in the registry"; return; fi
  log "push $mirror"
  docker push "$mirror" >/dev/null
}

# seed NAME [HOST-INPUT...]: runs build_NAME only when the engine lacks the image with this recipe.
seed() {
  local name=$1 builder=build_$1 hash mirror
  hash=$(recipe_hash "$builder" "${@:2}")
  mirror=$(mirrored "$(ref_of "$name")")
  if [[ $(image_label "$mirror") == "$hash" ]]; then
    log "$mirror up to date"
    docker tag "$mirror" "$(ref_of "$name")"
  else
    "$builder" "$hash"
    # A new recipe replaces the registry's copy too.
    if in_registry "$mirror"; then docker push "$mirror" >/dev/null; fi
  fi
  push "$name"
}

add_user() { # add_user ROOTFS NAME UID HOME
  chroot "$1" getent passwd "$2" >/dev/null || chroot "$1" useradd --uid "$3" --user-group --home-dir "$4" --no-create-home --shell /usr/sbin/nologin "$2" 2>/dev/null
}

build_aspnet() {
  local dir; rootfs dotnet; dir=$(stage dotnet aspnet)
  mkdir -p "$dir/usr/share/dotnet/shared"
  cp -a /usr/share/dotnet/dotnet /usr/share/dotnet/host "$dir/usr/share/dotnet/"
  cp -a /usr/share/dotnet/shared/Microsoft.NETCore.App /usr/share/dotnet/shared/Microsoft.AspNetCore.App "$dir/usr/share/dotnet/shared/"
  ln -sf /usr/share/dotnet/dotnet "$dir/usr/bin/dotnet"
  add_user "$dir" app 1654 /home/app; mkdir -p "$dir/home/app"; chown 1654:1654 "$dir/home/app"
  import aspnet "$dir" "$1" \
    --change 'ENV APP_UID=1654 ASPNETCORE_HTTP_PORTS=8080 DOTNET_RUNNING_IN_CONTAINER=true DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=true' \
    --change 'WORKDIR /' --change 'CMD ["bash"]'
}

# The SDK stage of our Dockerfiles runs without network (the engine's containers have none here), so
# the look-alike SDK carries an offline NuGet feed with every package src/Api restores, and a NuGet.Config
# that points at it. Upstream's SDK image restores from nuget.org instead; the Dockerfile is the same.
nuget_feed() {
  local feed=$cache/nuget-feed
  dotnet restore src/Api/Api.csproj --packages "$feed" -p:NuGetAudit=false >"$cache/nuget-feed.log" 2>&1 \
    || { echo "seed-base-images: restoring src/Api for the offline feed failed; see $cache/nuget-feed.log" >&2; exit 1; }
  printf '%s' "$feed"
}

build_sdk() {
  local dir feed=$cache/nuget-feed; rootfs dotnet; dir=$(stage dotnet sdk)
  mkdir -p "$dir/usr/share/dotnet" "$dir/root/.nuget/NuGet" "$dir/usr/share/nuget-offline"
  cp -a /usr/share/dotnet/. "$dir/usr/share/dotnet/"
  ln -sf /usr/share/dotnet/dotnet "$dir/usr/bin/dotnet"
  cp -a "$feed/." "$dir/usr/share/nuget-offline/"
  cat >"$dir/root/.nuget/NuGet/NuGet.Config" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="offline" value="/usr/share/nuget-offline" />
  </packageSources>
</configuration>
XML
  import sdk "$dir" "$1" \
    --change 'ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_GENERATE_ASPNET_CERTIFICATE=false DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE=true DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=true DOTNET_RUNNING_IN_CONTAINER=true' \
    --change 'WORKDIR /' --change 'CMD ["bash"]'
}

build_postgres() {
  local dir; rootfs postgres; dir=$(stage postgres postgres)
  # Debian's package made a cluster in /var/lib/postgresql/15/main; the image makes its own on first start.
  rm -rf "$dir/var/lib/postgresql/15" "$dir/etc/postgresql/15"
  mkdir -p "$dir/var/lib/postgresql/data" "$dir/var/run/postgresql" "$dir/docker-entrypoint-initdb.d"
  chroot "$dir" chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
  chmod 3777 "$dir/run/postgresql"; chmod 700 "$dir/var/lib/postgresql/data"
  # As upstream: listen on every interface, so other containers on the network can connect.
  sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" "$dir/usr/share/postgresql/15/postgresql.conf.sample"
  grep -q "^listen_addresses = '\*'" "$dir/usr/share/postgresql/15/postgresql.conf.sample"
  cat >"$dir/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/bash
# Look-alike of the official postgres image's entrypoint: POSTGRES_USER/PASSWORD/DB, initdb scripts,
# runs as the postgres user.
set -euo pipefail
if [[ ${1:-} == -* ]]; then set -- postgres "$@"; fi
if [[ ${1:-} == postgres && $(id -u) == 0 ]]; then
  mkdir -p "$PGDATA"; chown -R postgres:postgres "$PGDATA" /var/run/postgresql; chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [[ ${1:-} == postgres && ! -s $PGDATA/PG_VERSION ]]; then
  if [[ -z ${POSTGRES_PASSWORD:-} && ${POSTGRES_HOST_AUTH_METHOD:-} != trust ]]; then
    echo "Error: Database is uninitialized and superuser password is not specified. Set POSTGRES_PASSWORD." >&2
    exit 1
  fi
  user=${POSTGRES_USER:-postgres}; db=${POSTGRES_DB:-$user}
  pwfile=$(mktemp); printf '%s' "${POSTGRES_PASSWORD:-}" >"$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 -D "$PGDATA" ${POSTGRES_INITDB_ARGS:-} >/dev/null
  rm -f "$pwfile"
  echo "host all all all ${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/var/run/postgresql" -w start >/dev/null
  if [[ $db != postgres ]]; then
    psql -v ON_ERROR_STOP=1 --username "$user" --dbname postgres -h /var/run/postgresql -c "CREATE DATABASE \"$db\"" >/dev/null
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sh) echo "running $f"; . "$f" ;;
      *.sql) echo "running $f"; psql -v ON_ERROR_STOP=1 --username "$user" --dbname "$db" -h /var/run/postgresql -f "$f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "PostgreSQL init process complete; ready for start up."
fi
exec "$@"
SH
  chmod 755 "$dir/usr/local/bin/docker-entrypoint.sh"
  stopsignal=SIGINT import postgres "$dir" "$1" \
    --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PGDATA=/var/lib/postgresql/data LANG=C.UTF-8' \
    --change 'VOLUME /var/lib/postgresql/data' --change 'EXPOSE 5432' \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' --change 'CMD ["postgres"]'
}

build_redis() {
  local dir; rootfs redis; dir=$(stage redis redis)
  mkdir -p "$dir/data"; chroot "$dir" chown redis:redis /data
  cat >"$dir/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/bash
# Look-alike of the official redis image's entrypoint: runs redis-server as the redis user, and
# (as upstream) turns protected mode off so other containers can connect when no password is set.
set -euo pipefail
if [[ ${1:-} == -* || ${1:-} == *.conf ]]; then set -- redis-server "$@"; fi
if [[ ${1:-} == redis-server ]]; then
  if [[ " $* " != *" --protected-mode "* && ${2:-} != *.conf ]]; then set -- "$@" --protected-mode no; fi
  if [[ $(id -u) == 0 ]]; then
    chown -R redis:redis /data 2>/dev/null || true
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"
SH
  chmod 755 "$dir/usr/local/bin/docker-entrypoint.sh"
  import redis "$dir" "$1" --change 'VOLUME /data' --change 'WORKDIR /data' --change 'EXPOSE 6379' \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' --change 'CMD ["redis-server"]'
}

build_nginx() {
  local dir; rootfs nginx; dir=$(stage nginx nginx)
  add_user "$dir" nginx 101 /nonexistent
  rm -f "$dir/etc/nginx/sites-enabled/default"
  mkdir -p "$dir/etc/nginx/conf.d" "$dir/usr/share/nginx/html" "$dir/var/cache/nginx"
  # The official image's layout: nginx.conf includes conf.d/*.conf, logs go to the container's output.
  cat >"$dir/etc/nginx/nginx.conf" <<'CONF'
user  nginx;
worker_processes  auto;
error_log  /var/log/nginx/error.log notice;
pid        /var/run/nginx.pid;
events {
    worker_connections  1024;
}
http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;
    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';
    access_log  /var/log/nginx/access.log  main;
    sendfile        on;
    keepalive_timeout  65;
    include /etc/nginx/conf.d/*.conf;
}
CONF
  cat >"$dir/etc/nginx/conf.d/default.conf" <<'CONF'
server {
    listen       80;
    server_name  localhost;
    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }
}
CONF
  echo '<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1></body></html>' \
    >"$dir/usr/share/nginx/html/index.html"
  ln -sf /dev/stdout "$dir/var/log/nginx/access.log"; ln -sf /dev/stderr "$dir/var/log/nginx/error.log"
  stopsignal=SIGQUIT import nginx "$dir" "$1" --change 'EXPOSE 80' --change 'CMD ["nginx", "-g", "daemon off;"]'
}

# in_parallel "CMD ARGS" ...: runs each command in the background, then fails if any failed.
in_parallel() {
  local pids=() failed=0 pid
  for command in "$@"; do eval "$command" & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  ((failed == 0)) || exit 1
}

mkdir -p "$cache"

# A private client config, so the registry login does not land in ~/.docker.
export DOCKER_CONFIG=$cache/docker-config
mkdir -p "$DOCKER_CONFIG"; chmod 700 "$DOCKER_CONFIG"
echo "$password" | docker login "$registry" --username "$user" --password-stdin >/dev/null 2>"$cache/login.log" \
  || { echo "seed-base-images: docker login $registry as $user failed: $(tail -n 1 "$cache/login.log")" >&2; exit 1; }

# Each image is made (debootstrap when its rootfs is not cached, import) and pushed on its own, all at once:
# the debootstraps mostly wait on the network and dpkg. The SDK's offline feed is restored meanwhile.
seed_sdk() {
  local feed; feed=$(nuget_feed)
  seed sdk "$(dotnet --version)" "$(cd "$feed" && find . -name '*.nupkg' | sort)"
}
in_parallel \
  'seed aspnet "$(ls /usr/share/dotnet/shared/Microsoft.AspNetCore.App /usr/share/dotnet/shared/Microsoft.NETCore.App)"' \
  seed_sdk "seed postgres" "seed redis" "seed nginx"
log "done: base images in the engine and in $registry"
