-- wrk script for tests/Benchmarks/load.sh.
--   BENCH_MODE=fixed   every request is wrk's URL (GET /health, or one user id: cache hits)
--   BENCH_MODE=cycle   GET BENCH_ID_PREFIX..%012x with a counter that never repeats within the run:
--                      thread k of BENCH_THREADS asks for ids k, k+T, k+2T, ... (cache misses once
--                      Redis was flushed, as long as the ids seeded in PostgreSQL last)
-- done() prints one machine-readable line that load.sh parses:
--   RESULT <requests> <seconds> <p50 us> <p99 us> <status >= 400> <socket errors>
-- (the status count is the counter wrk itself prints as "Non-2xx or 3xx responses").

local mode = os.getenv("BENCH_MODE") or "fixed"

if mode == "cycle" then
  local prefix = assert(os.getenv("BENCH_ID_PREFIX"), "BENCH_ID_PREFIX is not set")
  local step = assert(tonumber(os.getenv("BENCH_THREADS") or ""), "BENCH_THREADS is not set")
  local created = 0

  function setup(thread)
    thread:set("first_id", created)
    created = created + 1
  end

  function init(args)
    next_id = first_id
  end

  function request()
    local path = string.format("%s%012x", prefix, next_id)
    next_id = next_id + step
    return wrk.format("GET", path)
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  print(string.format("RESULT %d %.6f %d %d %d %d",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
