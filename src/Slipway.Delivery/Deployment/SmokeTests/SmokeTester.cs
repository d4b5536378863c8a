using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Slipway.Tools.Tls;

namespace Slipway.Delivery.Deployment.SmokeTests;

/// <summary>Opens one connection to a smoke target by some other way than TCP to its URL's host (a relay inside the engine).</summary>
public delegate ValueTask<Stream> SmokeConnector(CancellationToken ct);

/// <summary>What one smoke run checks, and how patiently.</summary>
/// <param name="BaseUrl">The public URL (through nginx), or a colour's direct address.</param>
/// <param name="ExpectedVersion">The version /health must report.</param>
/// <param name="TrustedCaFile">A CA to trust for this client only (the local CA); null for the system store.</param>
/// <param name="RequireSecurityHeaders">Through nginx's public listener the security headers must be present on /health; a colour reached directly has none.</param>
/// <param name="Timeout">The run's whole budget: every attempt and every wait fits in it.</param>
/// <param name="Retries">Attempts per check after a failed one (429 and 503 answers are waited out instead, within the budget).</param>
/// <param name="InitialBackoff">Wait before the first retry, doubling after each failure; the pace of retries after a 429 or 503 without Retry-After.</param>
public sealed record SmokeTarget(
    Uri BaseUrl,
    string ExpectedVersion,
    string? TrustedCaFile,
    bool RequireSecurityHeaders,
    TimeSpan Timeout,
    int Retries,
    TimeSpan InitialBackoff)
{
    /// <summary>Also GET /api/health/db and /api/health/redis; false checks /health alone.</summary>
    public bool Dependencies { get; init; } = true;

    /// <summary>How connections are opened; null: TCP (and TLS for https) to <see cref="BaseUrl"/>.</summary>
    public SmokeConnector? Connector { get; init; }

    /// <summary>Where the checks go, for the report; null: <see cref="BaseUrl"/>'s scheme, host and port.</summary>
    public string? Label { get; init; }

    public string Via => Label ?? BaseUrl.GetLeftPart(UriPartial.Authority);

    /// <summary>
    /// Other clients may hold the public rate limit full for the whole budget: then answers of 429 that came over
    /// trusted TLS with the security headers pass (the release's routes were checked where the limit does not count).
    /// </summary>
    public bool SaturationTolerated { get; init; }
}

/// <param name="Throttled">How many of the attempts were answered 429 or 503 and waited out.</param>
public sealed record SmokeCheck(string Name, string Via, bool Passed, string Detail, int Attempts, int Throttled, TimeSpan Duration)
{
    public string Line => $"{Name} via {Via} → {Detail}";
}

public sealed record SmokeReport(IReadOnlyList<SmokeCheck> Checks, TimeSpan Duration)
{
    public bool Passed => Checks.All(c => c.Passed);

    public string Summary => $"{Checks.Count(c => c.Passed)}/{Checks.Count} checks passed";

    public IEnumerable<SmokeCheck> Failures => Checks.Where(c => !c.Passed);

    /// <summary>The failures, one after another, for a one-line message.</summary>
    public string FailureLines => string.Join("; ", Failures.Select(f => f.Line));

    /// <summary>The summary, where the checks went, and what was waited out: one line for a deploy's log.</summary>
    public string Described
    {
        get
        {
            var waited = Checks.Where(c => c.Throttled > 0).Select(c => $"{c.Name} via {c.Via} waited out {c.Throttled} × 429/503").ToArray();
            return $"{Summary} ({string.Join(", ", Checks.Select(c => c.Via).Distinct())}){(waited.Length == 0 ? "" : "; " + string.Join("; ", waited))}";
        }
    }

    /// <summary>This run's checks followed by <paramref name="next"/>'s.</summary>
    public SmokeReport Then(SmokeReport next) => new([.. Checks, .. next.Checks], Duration + next.Duration);

    /// <summary>The checks as a table.</summary>
    public string Table()
    {
        var name = Checks.Max(c => c.Name.Length);
        var via = Checks.Max(c => c.Via.Length);
        return string.Join('\n', Checks.Select(c =>
            $"{(c.Passed ? "✓" : "✗")} {c.Name.PadRight(name)}  {c.Via.PadRight(via)}  {c.Detail}{Attempts(c)}  {c.Duration.TotalMilliseconds:0} ms"));
    }

    private static string Attempts(SmokeCheck c) => (c.Attempts, c.Throttled) switch
    {
        (0 or 1, _) => "",
        (var n, 0) => $" (attempt {n})",
        var (n, t) => $" (attempt {n}, {t} × 429/503 waited out)",
    };
}

/// <summary>
/// GET /health (status, version and, through nginx's public listener, the security headers),
/// /api/health/db and /api/health/redis; each check retried with exponential backoff within one
/// overall budget. A 429 or 503 is "not now", not a failure: it is retried, after its Retry-After
/// when it gives one, as long as the budget lasts, and does not use up the check's retries.
/// </summary>
public static class SmokeTester
{
    /// <summary>The app's health endpoint: 200 with its status and version as JSON.</summary>
    public const string HealthPath = "/health";

    public static readonly IReadOnlyList<string> SecurityHeaders =
        ["Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy"];

    public static async Task<SmokeReport> RunAsync(SmokeTarget target, CancellationToken ct = default)
    {
        using var budget = new Budget(target.Timeout, ct);
        using var http = CreateClient(target.TrustedCaFile, connector: target.Connector);
        var health = target.RequireSecurityHeaders ? $"healthy, version {target.ExpectedVersion}, {SecurityHeaders.Count} security headers" : $"healthy, version {target.ExpectedVersion}";
        var checks = new List<SmokeCheck>
        {
            await CheckAsync(http, "GET " + HealthPath, HealthPath, target, budget, (response, body) =>
            {
                if (!response.IsSuccessStatusCode)
                    return $"HTTP {(int)response.StatusCode}";
                var (status, version) = ReadHealth(body);
                if (status != "healthy")
                    return $"status '{status}'";
                if (version != target.ExpectedVersion)
                    return $"version {version ?? "(none)"}, expected {target.ExpectedVersion}";
                var missing = target.RequireSecurityHeaders ? SecurityHeaders.Where(h => !response.Headers.Contains(h)).ToArray() : [];
                return missing.Length == 0 ? null : "missing " + string.Join(", ", missing);
            }, health).ConfigureAwait(false),
        };
        if (target.Dependencies)
        {
            foreach (var path in new[] { "/api/health/db", "/api/health/redis" })
            {
                checks.Add(await CheckAsync(http, "GET " + path, path, target, budget,
                    (response, body) => response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode} {Trim(body)}", "healthy").ConfigureAwait(false));
            }
        }

        return new SmokeReport(checks, budget.Elapsed);
    }

    /// <param name="evaluate">Returns null when the answer passes, else what was wrong with it.</param>
    private static async Task<SmokeCheck> CheckAsync(HttpClient http, string name, string path, SmokeTarget target, Budget budget,
        Func<HttpResponseMessage, string, string?> evaluate, string success)
    {
        var clock = Stopwatch.StartNew();
        var url = new Uri(target.BaseUrl, path);
        var backoff = target.InitialBackoff;
        var (attempts, throttled, failures) = (0, 0, 0);
        var saturated = false;
        var problem = "not run: the smoke budget was used up";
        SmokeCheck Result(bool passed, string detail) => new(name, target.Via, passed, detail, attempts, throttled, clock.Elapsed);

        while (!budget.Token.IsCancellationRequested)
        {
            attempts++;
            TimeSpan wait;
            try
            {
                using var response = await http.GetAsync(url, budget.Token).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(budget.Token).ConfigureAwait(false);
                if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
                {
                    throttled++;
                    problem = $"HTTP {(int)response.StatusCode}";
                    saturated = response.StatusCode == HttpStatusCode.TooManyRequests
                        && (!target.RequireSecurityHeaders || SecurityHeaders.All(response.Headers.Contains));
                    var retryAfter = RetryAfter(response.Headers.RetryAfter, DateTimeOffset.UtcNow);
                    if (retryAfter is { } asked && asked > budget.Remaining)
                        return Result(false, $"{problem} with Retry-After {asked.TotalSeconds:0.#} s, beyond the {budget.Remaining.TotalSeconds:0.#} s left of the {target.Timeout.TotalSeconds:0.#} s smoke budget");
                    // A rate limit frees room continuously: a steady pace, not a growing backoff, gets a turn.
                    wait = retryAfter ?? target.InitialBackoff;
                }
                else
                {
                    if (evaluate(response, body) is not { } wrong)
                        return Result(true, success);
                    problem = wrong;
                    wait = NextFailure(ref backoff, ref failures);
                }
            }
            catch (OperationCanceledException) when (budget.Token.IsCancellationRequested)
            {
                break;
            }
            catch (HttpRequestException e)
            {
                problem = (e.InnerException?.Message ?? e.Message).ReplaceLineEndings(" ");
                wait = NextFailure(ref backoff, ref failures);
            }
            catch (TaskCanceledException)
            {
                problem = $"no answer within {http.Timeout.TotalSeconds:0} s";
                wait = NextFailure(ref backoff, ref failures);
            }

            if (failures > target.Retries)
                return Result(false, problem);
            try
            {
                await Task.Delay(wait, budget.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        budget.ThrowIfCallerCancelled();
        if (saturated && target.SaturationTolerated)
            return Result(true, $"only 429 for {target.Timeout.TotalSeconds:0} s: other clients hold the rate limit full; TLS and the security headers checked on those answers");
        return Result(false, attempts == 0 ? problem : $"{problem} (gave up after {target.Timeout.TotalSeconds:0} s)");
    }

    /// <summary>Counts a real failure and returns the wait before the next attempt, doubling it for the one after.</summary>
    private static TimeSpan NextFailure(ref TimeSpan backoff, ref int failures)
    {
        failures++;
        var wait = backoff;
        backoff *= 2;
        return wait;
    }

    /// <summary>How long a Retry-After asks to wait (delta seconds or an HTTP date), null when absent; never negative.</summary>
    internal static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date > now ? date - now : TimeSpan.Zero,
        _ => null,
    };

    internal static (string? Status, string? Version) ReadHealth(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            string? Get(string key) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            return (Get("status"), Get("version"));
        }
        catch (JsonException)
        {
            return ($"not JSON: {Trim(body)}", null);
        }
    }

    /// <summary>The start of a body on one line (an HTML error page spans many).</summary>
    private static string Trim(string body)
    {
        var line = string.Join(' ', body.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return line.Length > 120 ? line[..120] + "…" : line;
    }

    /// <summary>A client that trusts <paramref name="caFile"/> for its own connections only; validation is never switched off.</summary>
    /// <param name="connector">Opens each connection instead of TCP; such connections carry one request each.</param>
    public static HttpClient CreateClient(string? caFile, TimeSpan? requestTimeout = null, SmokeConnector? connector = null)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30) };
        if (caFile is not null)
        {
            if (!File.Exists(caFile))
                throw new DeployFailedException($"trusted CA file {caFile} not found: generate the local certificates with nginx/gen-certs.sh");
            var ca = X509CertificateLoader.LoadCertificateFromFile(caFile);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = PrivateCa.Validator(ca),
            };
        }

        if (connector is not null)
            handler.ConnectCallback = (_, token) => connector(token);
        var client = new HttpClient(handler, disposeHandler: true) { Timeout = requestTimeout ?? TimeSpan.FromSeconds(5) };
        if (connector is not null)
            client.DefaultRequestHeaders.ConnectionClose = true;
        return client;
    }

    /// <summary>The run's time budget: a token that fires when it is spent (or the caller cancels), and what is left of it.</summary>
    private sealed class Budget : IDisposable
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private readonly CancellationTokenSource source;
        private readonly CancellationToken caller;
        private readonly TimeSpan total;

        public Budget(TimeSpan total, CancellationToken caller)
        {
            (this.total, this.caller) = (total, caller);
            source = CancellationTokenSource.CreateLinkedTokenSource(caller);
            source.CancelAfter(total);
        }

        public CancellationToken Token => source.Token;

        public TimeSpan Elapsed => clock.Elapsed;

        public TimeSpan Remaining => total - clock.Elapsed is { Ticks: > 0 } left ? left : TimeSpan.Zero;

        /// <summary>Ctrl+C is the caller's to handle, not a failed check.</summary>
        public void ThrowIfCallerCancelled() => caller.ThrowIfCancellationRequested();

        public void Dispose() => source.Dispose();
    }
}
