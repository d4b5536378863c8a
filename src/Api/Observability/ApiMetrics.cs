using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Api.Observability;

/// <summary>
/// The service's metrics, rendered in the Prometheus text exposition format (version 0.0.4):
/// request counts by method, route and status, request durations as a histogram, and user cache
/// results. Routes are route templates (e.g. /api/users/{id:guid}), never raw paths, so the number
/// of series stays bounded.
/// </summary>
public sealed class ApiMetrics
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly ConcurrentDictionary<(string Method, string Route, int Status), Counter> requests = new();
    private readonly ConcurrentDictionary<(string Method, string Route), Histogram> durations = new();
    private readonly ConcurrentDictionary<string, Counter> cache = new();

    public void RecordRequest(string method, string route, int status, TimeSpan duration)
    {
        requests.GetOrAdd((method, route, status), _ => new Counter()).Increment();
        durations.GetOrAdd((method, route), _ => new Histogram()).Observe(duration.TotalSeconds);
    }

    public void CacheHit() => CacheResult("hit");

    public void CacheMiss() => CacheResult("miss");

    public void CacheError() => CacheResult("error");

    public string Render()
    {
        var text = new StringBuilder();
        text.Append("# HELP http_requests_total HTTP requests handled, by method, route template and status code.\n");
        text.Append("# TYPE http_requests_total counter\n");
        foreach (var ((method, route, status), counter) in requests.OrderBy(r => r.Key))
            text.Append(CultureInfo.InvariantCulture, $"http_requests_total{{method=\"{Escape(method)}\",route=\"{Escape(route)}\",status=\"{status}\"}} {counter.Value}\n");

        text.Append("# HELP http_request_duration_seconds Time from receiving a request to finishing its response.\n");
        text.Append("# TYPE http_request_duration_seconds histogram\n");
        foreach (var ((method, route), histogram) in durations.OrderBy(d => d.Key))
            histogram.Render(text, $"method=\"{Escape(method)}\",route=\"{Escape(route)}\"");

        text.Append("# HELP user_cache_requests_total User lookups by cache result: hit, miss, or error (Redis failed; PostgreSQL answered).\n");
        text.Append("# TYPE user_cache_requests_total counter\n");
        foreach (var result in new[] { "hit", "miss", "error" })
            text.Append(CultureInfo.InvariantCulture, $"user_cache_requests_total{{result=\"{result}\"}} {(cache.TryGetValue(result, out var c) ? c.Value : 0)}\n");
        return text.ToString();
    }

    private void CacheResult(string result) => cache.GetOrAdd(result, _ => new Counter()).Increment();

    private static string Escape(string label) =>
        label.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);

    private sealed class Counter
    {
        private long value;

        public long Value => Interlocked.Read(ref value);

        public void Increment() => Interlocked.Increment(ref value);
    }

    private sealed class Histogram
    {
        private readonly long[] bucketCounts = new long[Buckets.Length];
        private readonly Lock gate = new();
        private long count;
        private double sum;

        public void Observe(double seconds)
        {
            lock (gate)
            {
                count++;
                sum += seconds;
                for (var i = 0; i < Buckets.Length; i++)
                {
                    if (seconds <= Buckets[i])
                        bucketCounts[i]++;
                }
            }
        }

        public void Render(StringBuilder text, string labels)
        {
            lock (gate)
            {
                for (var i = 0; i < Buckets.Length; i++)
                    text.Append(CultureInfo.InvariantCulture, $"http_request_duration_seconds_bucket{{{labels},le=\"{Buckets[i]}\"}} {bucketCounts[i]}\n");
                text.Append(CultureInfo.InvariantCulture, $"http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}\n");
                text.Append(CultureInfo.InvariantCulture, $"http_request_duration_seconds_sum{{{labels}}} {sum}\n");
                text.Append(CultureInfo.InvariantCulture, $"http_request_duration_seconds_count{{{labels}}} {count}\n");
            }
        }
    }
}
