using System.Diagnostics;

namespace Api.Observability;

/// <summary>
/// Gives every request an id (the caller's X-Request-Id when it is sane, else a new one), echoes it
/// in the response, puts it in the logging scope of everything the request logs, writes one access
/// log line, and records the request in <see cref="ApiMetrics"/>.
/// </summary>
public sealed partial class RequestTracking(RequestDelegate next, ApiMetrics metrics, ILogger<RequestTracking> logger)
{
    public const string HeaderName = "X-Request-Id";
    private const int MaxRequestIdLength = 128;

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var requestId = AcceptableId(context.Request.Headers[HeaderName].ToString()) ?? Guid.NewGuid().ToString("N");
        context.TraceIdentifier = requestId;
        context.Response.Headers[HeaderName] = requestId;
        var started = Stopwatch.GetTimestamp();
        using (logger.BeginScope(new RequestScope(requestId)))
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            finally
            {
                var elapsed = Stopwatch.GetElapsedTime(started);
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
                var status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? 499 : context.Response.StatusCode;
                metrics.RecordRequest(context.Request.Method, route, status, elapsed);
                LogRequest(logger, context.Request.Method, context.Request.Path, route, status, elapsed.TotalMilliseconds);
            }
        }
    }

    /// <summary>Only visible ASCII, bounded length: the id goes into logs and a response header.</summary>
    private static string? AcceptableId(string candidate) =>
        candidate.Length is > 0 and <= MaxRequestIdLength && candidate.All(c => c is > ' ' and <= '~') ? candidate : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} matched {Route} -> {StatusCode} in {ElapsedMs:0.0} ms")]
    private static partial void LogRequest(ILogger logger, string method, string path, string route, int statusCode, double elapsedMs);

    /// <summary>The logging scope: a RequestId property, and readable text for formatters that print scopes as text.</summary>
    private sealed class RequestScope(string requestId) : IReadOnlyList<KeyValuePair<string, object>>
    {
        public int Count => 1;

        public KeyValuePair<string, object> this[int index] =>
            index == 0 ? new("RequestId", requestId) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
        {
            yield return this[0];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"RequestId:{requestId}";
    }
}
