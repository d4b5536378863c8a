#!/usr/bin/env bash
# Load through nginx vs straight to the API's Kestrel, measured in one run on 127.0.0.1:
# requests/s, p50 and p99 for GET /health and GET /api/users/{id} (Redis cache hit and miss).
# Starts its own PostgreSQL, Redis, the Release-published API and a real nginx running the
# repository's nginx/ config (rendered like tests/Stack.Tests/Nginx/NginxUnderTest.cs, with the API
# rate limit raised), drives them with wrk, stops everything it started (by pid, also on failure)
# and writes artifacts/benchmarks/load.md. Exits 1 when a run is invalid (a status >= 400, a socket
# error, or a cache result other than the one the scenario is meant to measure).
#   tests/Benchmarks/load.sh
# Knobs: DURATION (8s) CONNECTIONS (16) THREADS (2) ROUNDS (5) MISS_USERS (200000)
#        BENCH_PG_PORT (55452) BENCH_REDIS_PORT (56399) BENCH_API_PORT (15080)
#        BENCH_HTTP_PORT (18080) BENCH_HTTPS_PORT (18443)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

duration=${DURATION:-8s}
connections=${CONNECTIONS:-16}
threads=${THREADS:-2}
rounds=${ROUNDS:-5}
miss_users=${MISS_USERS:-200000}
pg_port=${BENCH_PG_PORT:-55452}
redis_port=${BENCH_REDIS_PORT:-56399}
api_port=${BENCH_API_PORT:-15080}
http_port=${BENCH_HTTP_PORT:-18080}
https_port=${BENCH_HTTPS_PORT:-18443}

temp=$root/.nuke/temp
pg_dir=$temp/bench-postgres
redis_dir=$temp/bench-redis
api_dir=$temp/bench-api
nginx_dir=$temp/bench-nginx
runs_dir=$temp/bench-load
out=artifacts/benchmarks
lua=$root/tests/Benchmarks/load.lua

database_url=postgres://slipway:slipway@127.0.0.1:$pg_port/slipway_test
redis_url=redis://127.0.0.1:$redis_port
direct=http://127.0.0.1:$api_port
edge=https://127.0.0.1:$https_port
# Ids of the seeded "miss" users: a fixed prefix plus a 12-hex-digit counter (see load.lua).
id_prefix=00000000-0000-4000-8000-

# fd 3 is the terminal's stderr: a signal trap can run inside a redirected command and still be heard.
exec 3>&2
say() { echo "load: $*" >&3; }
fail() { say "$*"; exit 1; }

for tool in wrk nginx psql redis-cli redis-server openssl curl jq dotnet runuser; do
  command -v "$tool" >/dev/null || fail "$tool not found; install it (apt-get install wrk nginx-light postgresql-15 redis-server openssl curl jq)"
done
for port in "$pg_port" "$redis_port" "$api_port" "$http_port" "$https_port"; do
  [[ -z $(ss -Hltn "( sport = :$port )") ]] || fail "port $port is already in use; pick another with the BENCH_*_PORT variables"
done

api_pid=
nginx_pid=
stop_all() {
  local status=$?
  trap - EXIT
  if [[ -n $nginx_pid ]] && kill -0 "$nginx_pid" 2>/dev/null; then
    kill -QUIT "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true
  fi
  if [[ -n $api_pid ]] && kill -0 "$api_pid" 2>/dev/null; then
    kill -TERM "$api_pid"; wait "$api_pid" 2>/dev/null || true
  fi
  SLIPWAY_REDIS_DIR=$redis_dir SLIPWAY_REDIS_PORT=$redis_port .ci/redis.sh stop >/dev/null || true
  SLIPWAY_PG_DIR=$pg_dir SLIPWAY_PG_PORT=$pg_port .ci/postgres.sh stop >/dev/null || true
  if ((status == 0)); then
    # The database and the per-request logs of both servers run to gigabytes; keep only wrk's output.
    rm -rf "$pg_dir" "$redis_dir" "$api_dir" "$nginx_dir" "$runs_dir/api.log"
  else
    say "failed (exit $status); logs kept in $runs_dir and $nginx_dir/run"
  fi
  exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# A clean slate every run: a database left over from an earlier run would change what a miss costs.
SLIPWAY_REDIS_DIR=$redis_dir SLIPWAY_REDIS_PORT=$redis_port .ci/redis.sh stop >/dev/null || true
SLIPWAY_PG_DIR=$pg_dir SLIPWAY_PG_PORT=$pg_port .ci/postgres.sh stop >/dev/null || true
rm -rf "$pg_dir" "$redis_dir" "$api_dir" "$nginx_dir" "$runs_dir"
mkdir -p "$runs_dir" "$out"

say "starting PostgreSQL on 127.0.0.1:$pg_port and Redis on 127.0.0.1:$redis_port"
SLIPWAY_PG_DIR=$pg_dir SLIPWAY_PG_PORT=$pg_port .ci/postgres.sh start >/dev/null
SLIPWAY_REDIS_DIR=$redis_dir SLIPWAY_REDIS_PORT=$redis_port .ci/redis.sh start >/dev/null
redis_() { redis-cli -h 127.0.0.1 -p "$redis_port" "$@"; }
psql_() { psql "$database_url" -v ON_ERROR_STOP=1 -qAt "$@"; }
for migration in src/Api/Migrations/*.up.sql; do
  say "applying $(basename "$migration")"
  psql_ -1 -f "$migration" >/dev/null
done

say "publishing the API (Release)"
dotnet publish src/Api -c Release -o "$api_dir" -p:AppVersion=bench --nologo -v q >"$runs_dir/publish.log" 2>&1 ||
  fail "dotnet publish src/Api failed; see $runs_dir/publish.log"
say "starting the API on $direct"
DATABASE_URL=$database_url REDIS_URL=$redis_url \
  dotnet "$api_dir/Api.dll" --urls "$direct" >"$runs_dir/api.log" 2>&1 &
api_pid=$!
for _ in $(seq 1 120); do
  curl -fsS "$direct/health" >/dev/null 2>&1 && break
  kill -0 "$api_pid" 2>/dev/null || fail "the API exited at start; see $runs_dir/api.log"
  sleep 0.25
done
curl -fsS "$direct/api/health/db" >/dev/null || fail "the API cannot reach PostgreSQL; see $runs_dir/api.log"
curl -fsS "$direct/api/health/redis" >/dev/null || fail "the API cannot reach Redis; see $runs_dir/api.log"

# nginx: the repository's config, copied without certs/, with the same substitutions the Stack
# tests make, plus the API rate limit raised so one client IP measures the proxy, not the limiter.
edit() { # file from to: replace a string that must be there
  local file=$nginx_dir/$1 text
  text=$(<"$file")
  [[ $text == *"$2"* ]] || fail "nginx/$1 no longer contains '$2'; update tests/Benchmarks/load.sh to the new config"
  printf '%s\n' "${text//"$2"/"$3"}" >"$file"
}
say "rendering nginx/ into $nginx_dir and starting nginx on $edge"
mkdir -p "$nginx_dir/run"
cp -R nginx/. "$nginx_dir/"
rm -rf "$nginx_dir/certs"
bash nginx/gen-certs.sh "$nginx_dir/certs" >/dev/null
edit nginx.conf "/tmp/" "$nginx_dir/run/"
edit nginx.conf "error_log stderr" "error_log $nginx_dir/run/error.log"
edit nginx.conf "access_log /dev/stdout" "access_log $nginx_dir/run/access.log"
edit nginx.conf "zone=api:10m rate=50r/s" "zone=api:10m rate=1000000r/s"
edit snippets/proxy-api.conf "limit_req zone=api burst=100 nodelay;" "limit_req zone=api burst=1000000 nodelay;"
edit sites/edge.conf "listen 8080 " "listen 127.0.0.1:$http_port "
edit sites/edge.conf "listen 8443 " "listen 127.0.0.1:$https_port "
edit upstreams/api.conf "server api:8080;" "server 127.0.0.1:$api_port;"
nginx -p "$nginx_dir/" -c "$nginx_dir/nginx.conf" -t 2>"$runs_dir/nginx-t.log" || fail "nginx -t failed on the rendered config; see $runs_dir/nginx-t.log"
nginx -p "$nginx_dir/" -c "$nginx_dir/nginx.conf" -g 'daemon off;' 2>>"$nginx_dir/run/error.log" &
nginx_pid=$!
for _ in $(seq 1 60); do
  curl -fsS --cacert "$nginx_dir/certs/ca.crt" "$edge/nginx-health" >/dev/null 2>&1 && break
  kill -0 "$nginx_pid" 2>/dev/null || fail "nginx exited at start; see $nginx_dir/run/error.log"
  sleep 0.25
done
curl -fsS --cacert "$nginx_dir/certs/ca.crt" "$edge/health" >/dev/null || fail "nginx does not reach the API; see $nginx_dir/run/error.log"

say "creating the cache-hit user via POST /api/users and seeding $miss_users cache-miss users"
hit_id=$(curl -fsS -H 'Content-Type: application/json' \
  -d '{"email":"bench-hit@example.com","password":"bench-password","name":"Bench hit"}' \
  "$direct/api/users" | jq -er .id) || fail "POST /api/users did not create the user; see $runs_dir/api.log"
# The miss users share the hit user's row shape (same hash length), so hit and miss return equal bodies.
psql_ -v n="$miss_users" -v hit="$hit_id" -v prefix="$id_prefix" >/dev/null <<'SQL'
INSERT INTO users (id, email, name, password_hash)
SELECT (:'prefix' || lpad(to_hex(n), 12, '0'))::uuid, 'bench-' || n || '@example.com', 'Bench user ' || n, h.password_hash
FROM generate_series(0, :n - 1) AS n, (SELECT password_hash FROM users WHERE id = :'hit') AS h;
VACUUM ANALYZE users;
SQL
curl -fsS "$direct/api/users/${id_prefix}000000000000" >/dev/null || fail "a seeded user is not found through the API"

cache_counts() { # → "hits misses errors" from the API's own counters
  curl -fsS "$direct/metrics" | awk '
    /^user_cache_requests_total\{result="hit"\}/   { h = $2 }
    /^user_cache_requests_total\{result="miss"\}/  { m = $2 }
    /^user_cache_requests_total\{result="error"\}/ { e = $2 }
    END { printf "%d %d %d\n", h, m, e }'
}

wrk_() { # mode url duration → wrk's output
  BENCH_MODE=$1 BENCH_ID_PREFIX=/api/users/$id_prefix BENCH_THREADS=$threads \
    wrk -t"$threads" -c"$connections" -d"$3" --latency -s "$lua" "$2"
}

# Prepares the cache for a scenario: hits need the one user cached, misses need an empty cache.
prepare() { # scenario
  case $1 in
    hit) redis_ del "user:${hit_id//-/}" >/dev/null; curl -fsS "$direct/api/users/$hit_id" >/dev/null ;;
    miss) redis_ flushall >/dev/null ;;
  esac
}

results=$runs_dir/results.tsv
printf 'round\tscenario\tpath\trequests\trps\tp50_ms\tp99_ms\tnon2xx\tsocket_errors\thits\tmisses\tcache_errors\n' >"$results"
measure() { # round scenario path
  local round=$1 scenario=$2 path=$3 base url mode=fixed raw before after
  [[ $path == direct ]] && base=$direct || base=$edge
  case $scenario in
    health) url=$base/health ;;
    hit) url=$base/api/users/$hit_id ;;
    miss) url=$base/ mode=cycle ;;
  esac
  prepare "$scenario"
  raw=$runs_dir/wrk-$round-$scenario-$path.txt
  read -r -a before < <(cache_counts)
  wrk_ "$mode" "$url" "$duration" >"$raw" 2>&1 || fail "wrk failed; see $raw"
  read -r -a after < <(cache_counts)
  awk -v round="$round" -v scenario="$scenario" -v path="$path" \
      -v hits=$((after[0] - before[0])) -v misses=$((after[1] - before[1])) -v errors=$((after[2] - before[2])) '
    $1 == "RESULT" {
      printf "%s\t%s\t%s\t%d\t%.1f\t%.2f\t%.2f\t%d\t%d\t%d\t%d\t%d\n",
        round, scenario, path, $2, $2 / $3, $4 / 1000, $5 / 1000, $6, $7, hits, misses, errors
      found = 1
    }
    END { exit !found }' "$raw" >>"$results" || fail "no RESULT line from wrk; see $raw"
  say "$(tail -n 1 "$results" | awk -F'\t' '{ printf "round %s %-6s %-6s %8.1f req/s  p50 %6.2f ms  p99 %6.2f ms  non-2xx %d  socket errors %d  cache hit/miss %d/%d", $1, $2, $3, $5, $6, $7, $8, $9, $10, $11 }')"
}

say "warming up (JIT, connection pools, nginx keepalive): 3 s per scenario and path, not recorded"
for scenario in health hit miss; do
  for path in direct nginx; do
    prepare "$scenario"
    case $scenario in health) p=/health m=fixed ;; hit) p=/api/users/$hit_id m=fixed ;; miss) p=/ m=cycle ;; esac
    [[ $path == direct ]] && base=$direct || base=$edge
    wrk_ "$m" "$base$p" 3s >"$runs_dir/warmup-$scenario-$path.txt" 2>&1 || fail "wrk warm-up failed; see $runs_dir/warmup-$scenario-$path.txt"
  done
done

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((round = 1; round <= rounds; round++)); do
  # Direct and through nginx back to back within a round, so a change in the machine's other load
  # hits both paths alike.
  for scenario in health hit miss; do
    measure "$round" "$scenario" direct
    measure "$round" "$scenario" nginx
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

median() { # scenario path column → median over the rounds
  awk -F'\t' -v s="$1" -v p="$2" -v c="$3" 'NR > 1 && $2 == s && $3 == p { print $c }' "$results" |
    sort -g | sed -n "$(((rounds + 1) / 2))p"
}
total() { # scenario path column → sum over the rounds
  awk -F'\t' -v s="$1" -v p="$2" -v c="$3" 'NR > 1 && $2 == s && $3 == p { t += $c } END { print t + 0 }' "$results"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# A run is invalid when anything but the intended response or cache result was measured.
problems=$(awk -F'\t' 'NR > 1 {
    where = "round " $1 " " $2 " " $3
    if ($8 > 0) print "- " where ": " $8 " responses with status >= 400"
    if ($9 > 0) print "- " where ": " $9 " socket errors"
    if ($12 > 0) print "- " where ": " $12 " Redis errors counted by the API"
    if ($2 == "hit" && $11 > 0) print "- " where ": " $11 " cache misses in the hit run"
    if ($2 == "miss" && $10 > 0) print "- " where ": " $10 " cache hits in the miss run (raise MISS_USERS)"
  }' "$results")

declare -A rps
rows=
for scenario in health hit miss; do
  case $scenario in
    health) label='`GET /health`' ;;
    hit) label='`GET /api/users/{id}`, cache hit' ;;
    miss) label='`GET /api/users/{id}`, cache miss' ;;
  esac
  for path in direct nginx; do
    rps[$scenario-$path]=$(median "$scenario" "$path" 5)
    [[ $path == direct ]] && where='direct (Kestrel, HTTP)' || where='through nginx (HTTPS)'
    rows+="| $label | $where | ${rps[$scenario-$path]} | $(median "$scenario" "$path" 6) ms | $(median "$scenario" "$path" 7) ms | $(total "$scenario" "$path" 8) | $(total "$scenario" "$path" 10) / $(total "$scenario" "$path" 11) |"$'\n'
  done
done

rows=${rows%$'\n'}
nginx_version=$(nginx -v 2>&1 | sed 's|.*nginx/||')
verdict="**Valid**: no status >= 400, no socket errors, every hit run all hits and every miss run all misses."
[[ -z $problems ]] || verdict="**INVALID**:"$'\n'"$problems"

cat >"$out/load.md" <<MD
# Load: through nginx vs straight to the API, cache hit vs miss

One run of \`tests/Benchmarks/load.sh\` on 127.0.0.1, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores.
wrk, $threads threads, $connections connections, $duration per measurement, $rounds round(s); each row is the
median of the rounds (requests/s, p50 and p99 separately), non-2xx and cache counts are totals.
Load average (1, 5, 15 min) before the rounds: $load_before; after: $load_after.

| scenario | path | requests/s | p50 | p99 | non-2xx | cache hits / misses |
|---|---|---:|---:|---:|---:|---:|
$rows

| ratio | value |
|---|---:|
| through nginx / direct, \`GET /health\` | $(ratio "${rps[health-nginx]}" "${rps[health-direct]}") |
| through nginx / direct, user lookup (hit) | $(ratio "${rps[hit-nginx]}" "${rps[hit-direct]}") |
| through nginx / direct, user lookup (miss) | $(ratio "${rps[miss-nginx]}" "${rps[miss-direct]}") |
| cache hit / miss, direct | $(ratio "${rps[hit-direct]}" "${rps[miss-direct]}") |
| cache hit / miss, through nginx | $(ratio "${rps[hit-nginx]}" "${rps[miss-nginx]}") |

$verdict

## Method
- Everything runs on this machine: PostgreSQL 15 (fsync off, as in CI) and Redis started for the
  benchmark, the API published in Release and run with \`dotnet Api.dll\` (JSON logs at Information
  to a file), nginx $nginx_version with the repository's \`nginx/\` config rendered like the
  Stack tests do (127.0.0.1 ports, temp prefix, certificates from \`nginx/gen-certs.sh\`, upstream
  at the API). wrk and the servers share the same $(nproc) cores, so these figures compare paths;
  they are not the capacity of a deployment.
- **Rate limit raised**: production limits the API to 50 r/s per IP (burst 100), which from one
  client would measure 429s. The rendered copy sets rate=1000000r/s and burst=1000000, so the
  limiter still runs on every request but never rejects: this measures the proxy's overhead, not the limiter.
- Direct = plain HTTP/1.1 keepalive to Kestrel. Through nginx = HTTPS (TLS handshake once per wrk
  connection, then keepalive) to nginx, which proxies over its upstream keepalive pool, with access logging on.
- Cache hit: one user created with \`POST /api/users\`, fetched once to fill the cache, then the same id
  for the whole run. Cache miss: $miss_users users inserted with SQL (ids $id_prefix + a 12-hex-digit
  counter; same row shape as the API-created user), Redis flushed before the run, and load.lua asks
  for every id at most once per run, so every lookup misses Redis, reads PostgreSQL (warm: the table
  was just written, so it sits in shared buffers or the page cache) and fills the cache. Both are checked, not assumed: the
  hits / misses column is the API's own \`user_cache_requests_total\` counters read before and after each run.
- Latency is wrk's closed-loop latency (each connection waits for its answer); p99 under an open
  arrival rate would be higher.
- A run counts as invalid on any status >= 400 (wrk's "Non-2xx or 3xx responses"), any socket error,
  a Redis error, a miss in a hit run or a hit in a miss run. Raw wrk output and per-run rows
  (\`results.tsv\`): \`.nuke/temp/bench-load/\`.
MD
cat "$out/load.md"
[[ -z $problems ]] || exit 1
