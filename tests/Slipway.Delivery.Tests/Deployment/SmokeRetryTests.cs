using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Slipway.Delivery.Deployment.SmokeTests;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>
/// The smoke checks against a real HTTP server on 127.0.0.1 that answers "not now" (429, 503) before it
/// answers: such answers are waited out within the budget, as their Retry-After asks.
/// </summary>
public sealed class SmokeRetryTests
{
    private const string Version = "2.0.0+bbbbbbb";

    [Fact]
    public async Task A_429_with_Retry_After_in_seconds_is_waited_out_without_using_up_the_retries()
    {
        using var server = new ScriptedServer(
            new Reply(429, "text/plain", "slow down", new Dictionary<string, string> { ["Retry-After"] = "1" }),
            new Reply(429, "text/plain", "slow down", new Dictionary<string, string> { ["Retry-After"] = "1" }));

        var report = await SmokeTester.RunAsync(Target(server, retries: 0));

        Assert.True(report.Passed, report.Table());
        var health = report.Checks[0];
        Assert.Equal((3, 2), (health.Attempts, health.Throttled));
        Assert.All(server.GapsBetweenHealthRequests(), gap => Assert.True(gap >= TimeSpan.FromSeconds(0.95), $"retried after {gap.TotalMilliseconds:0} ms, not the 1 s Retry-After asked"));
        Assert.Contains("(attempt 3, 2 × 429/503 waited out)", report.Table(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_503_with_Retry_After_as_an_HTTP_date_is_waited_out_until_that_date()
    {
        DateTimeOffset? until = null;
        using var server = new ScriptedServer(() =>
        {
            until = DateTimeOffset.UtcNow.AddSeconds(2);
            return new Reply(503, "text/plain", "starting", new Dictionary<string, string> { ["Retry-After"] = until.Value.ToString("R", CultureInfo.InvariantCulture) });
        });

        var report = await SmokeTester.RunAsync(Target(server, retries: 0));

        Assert.True(report.Passed, report.Table());
        Assert.Equal((2, 1), (report.Checks[0].Attempts, report.Checks[0].Throttled));
        // The date has whole seconds: the next attempt comes no earlier than that second (less a timer's tick).
        var second = server.HealthRequestTimes[1];
        var date = until!.Value.AddTicks(-until.Value.Ticks % TimeSpan.TicksPerSecond);
        Assert.True(second >= date.AddMilliseconds(-20), $"retried at {second:HH:mm:ss.fff}, before the Retry-After date {date:HH:mm:ss}");
    }

    [Fact]
    public async Task A_Retry_After_beyond_what_is_left_of_the_budget_fails_at_once_in_one_line()
    {
        using var server = new ScriptedServer(new Reply(429, "text/plain", "slow down", new Dictionary<string, string> { ["Retry-After"] = "120" }));

        var report = await SmokeTester.RunAsync(Target(server, retries: 3) with { Timeout = TimeSpan.FromSeconds(10) });

        var failure = Assert.Single(report.Failures);
        Assert.Matches(@"^HTTP 429 with Retry-After 120 s, beyond the \d+(\.\d)? s left of the 10 s smoke budget$", failure.Detail);
        Assert.DoesNotContain('\n', failure.Line);
        Assert.Equal(1, failure.Attempts);
        Assert.Single(server.HealthRequestTimes);
    }

    [Fact]
    public async Task A_429_without_Retry_After_is_retried_at_a_steady_pace_past_the_retry_count()
    {
        var limited = new Reply(429, "text/html", "<html>429 Too Many Requests</html>");
        using var server = new ScriptedServer(Enumerable.Repeat(limited, 6).ToArray());

        var report = await SmokeTester.RunAsync(Target(server, retries: 1) with { InitialBackoff = TimeSpan.FromMilliseconds(20) });

        Assert.True(report.Passed, report.Table());
        Assert.Equal((7, 6), (report.Checks[0].Attempts, report.Checks[0].Throttled));
    }

    [Fact]
    public async Task A_limit_that_outlasts_the_budget_fails_saying_it_gave_up()
    {
        using var server = new ScriptedServer(_ => new Reply(429, "text/plain", "slow down"));

        var report = await SmokeTester.RunAsync(Target(server, retries: 1) with { Timeout = TimeSpan.FromSeconds(3), InitialBackoff = TimeSpan.FromMilliseconds(50) });

        Assert.Equal(
            ["HTTP 429 (gave up after 3 s)", "not run: the smoke budget was used up", "not run: the smoke budget was used up"],
            report.Failures.Select(f => f.Detail));
        Assert.True(report.Checks[0].Throttled >= 1, report.Table());
    }

    [Fact]
    public async Task A_server_error_still_uses_up_the_retries()
    {
        using var server = new ScriptedServer(_ => new Reply(500, "text/plain", "boom"));

        var report = await SmokeTester.RunAsync(Target(server, retries: 2) with { InitialBackoff = TimeSpan.FromMilliseconds(10) });

        var failure = Assert.Single(report.Failures);
        Assert.Equal(("HTTP 500", 3, 0), (failure.Detail, failure.Attempts, failure.Throttled));
        Assert.Equal(3, server.HealthRequestTimes.Count);
    }

    [Fact]
    public async Task A_connector_opens_every_connection_one_request_each()
    {
        using var server = new ScriptedServer(Array.Empty<Reply>());
        var opened = 0;
        var target = new SmokeTarget(server.Url, Version, null, false, TimeSpan.FromSeconds(10), 0, TimeSpan.FromMilliseconds(10))
        {
            Connector = async ct =>
            {
                Interlocked.Increment(ref opened);
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, server.Url.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
            Label = "a test connector",
        };

        var report = await SmokeTester.RunAsync(target);

        Assert.True(report.Passed, report.Table());
        Assert.Equal("3/3 checks passed", report.Summary);
        Assert.All(report.Checks, c => Assert.Equal("a test connector", c.Via));
        // One request per connection: a relay started for each ends when its answer is read.
        Assert.Equal(3, opened);
    }

    [Fact]
    public void Retry_After_is_read_as_seconds_or_as_a_date_and_never_negative()
    {
        var now = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(3), SmokeTester.RetryAfter(new RetryConditionHeaderValue(TimeSpan.FromSeconds(3)), now));
        Assert.Equal(TimeSpan.FromSeconds(90), SmokeTester.RetryAfter(new RetryConditionHeaderValue(now.AddSeconds(90)), now));
        Assert.Equal(TimeSpan.Zero, SmokeTester.RetryAfter(new RetryConditionHeaderValue(now.AddSeconds(-5)), now));
        Assert.Null(SmokeTester.RetryAfter(null, now));
    }

    private static SmokeTarget Target(ScriptedServer server, int retries) =>
        new(server.Url, Version, null, false, TimeSpan.FromSeconds(20), retries, TimeSpan.FromMilliseconds(100));

    /// <summary>
    /// GET /health answers the scripted replies in turn, then healthy with <see cref="Version"/>; the
    /// dependency checks answer healthy. Records when each /health request came.
    /// </summary>
    private sealed class ScriptedServer : IDisposable
    {
        private readonly LoopbackHttpServer server;
        private readonly Queue<Func<Reply>> script;
        private readonly Func<ReceivedRequest, Reply>? always;

        public ScriptedServer(params Reply[] replies)
            : this(replies.Select(r => (Func<Reply>)(() => r)).ToArray())
        {
        }

        public ScriptedServer(params Func<Reply>[] replies)
        {
            script = new Queue<Func<Reply>>(replies);
            server = new LoopbackHttpServer(Answer);
        }

        public ScriptedServer(Func<ReceivedRequest, Reply> always)
        {
            script = new Queue<Func<Reply>>();
            this.always = always;
            server = new LoopbackHttpServer(Answer);
        }

        public Uri Url => server.Url;

        public List<DateTimeOffset> HealthRequestTimes { get; } = [];

        public IEnumerable<TimeSpan> GapsBetweenHealthRequests()
        {
            lock (HealthRequestTimes)
                return HealthRequestTimes.Zip(HealthRequestTimes.Skip(1), (a, b) => b - a).ToArray();
        }

        private Reply Answer(ReceivedRequest request)
        {
            if (request.RawUrl != SmokeTester.HealthPath)
                return new Reply(200, "application/json", """{"status":"healthy"}""");
            lock (HealthRequestTimes)
            {
                HealthRequestTimes.Add(DateTimeOffset.UtcNow);
                if (always is not null)
                    return always(request);
                return script.TryDequeue(out var next) ? next() : new Reply(200, "application/json", $$"""{"status":"healthy","version":"{{Version}}"}""");
            }
        }

        public void Dispose() => server.Dispose();
    }
}
