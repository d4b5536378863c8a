using System.Diagnostics;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Slipway.Tools.Tls;

namespace Slipway.Delivery.Deployment.SmokeTests;

/// <summary>What one smoke run checks, and how patiently.</summary>
/// <param name="BaseUrl">The public URL (through nginx), or a colour's direct address.</param>
/// <param name="ExpectedVersion">The version /health must report.</param>
/// <param name="TrustedCaFile">A CA to trust for this client only (the local CA); null for the system store.</param>
/// <param name="RequireSecurityHeaders">Through nginx the security headers must be present; a colour reached directly has none.</param>
public sealed record SmokeTarget(
    Uri BaseUrl,
    string ExpectedVersion,
    string? TrustedCaFile,
    bool RequireSecurityHeaders,
    TimeSpan Timeout,
    int Retries,
    TimeSpan InitialBackoff);

public sealed record SmokeCheck(string Name, bool Passed, string Detail, int Attempts, TimeSpan Duration);

public sealed record SmokeReport(Uri BaseUrl, IReadOnlyList<SmokeCheck> Checks, TimeSpan Duration)
{
    public bool Passed => Checks.All(c => c.Passed);

    public string Summary => $"{Checks.Count(c => c.Passed)}/{Checks.Count} checks passed";

    public IEnumerable<SmokeCheck> Failures => Checks.Where(c => !c.Passed);

    /// <summary>The checks as a table.</summary>
    public string Table()
    {
        var width = Checks.Max(c => c.Name.Length);
        return string.Join('\n', Checks.Select(c =>
            $"{(c.Passed ? "✓" : "✗")} {c.Name.PadRight(width)}  {c.Detail}{(c.Attempts > 1 ? $" (attempt {c.Attempts})" : "")}  {c.Duration.TotalMilliseconds:0} ms"));
    }
}

/// <summary>
/// GET /health (status and version), /api/health/db, /api/health/redis and, through nginx, the
/// security headers; each check retried with exponential backoff within one overall budget.
/// </summary>
public static class SmokeTester
{
    /// <summary>The app's health endpoint: 200 with its status and version as JSON.</summary>
    public const string HealthPath = "/health";

    public static readonly IReadOnlyList<string> SecurityHeaders =
        ["Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy"];

    public static async Task<SmokeReport> RunAsync(SmokeTarget target, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(target.Timeout);
        using var http = CreateClient(target.TrustedCaFile);
        var checks = new List<SmokeCheck>
        {
            await CheckAsync("GET /health", target, budget.Token, async token =>
            {
                using var response = await http.GetAsync(new Uri(target.BaseUrl, HealthPath), token).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                    return $"HTTP {(int)response.StatusCode}";
                var (status, version) = ReadHealth(body);
                if (status != "healthy")
                    return $"status '{status}'";
                return version == target.ExpectedVersion ? null : $"version {version ?? "(none)"}, expected {target.ExpectedVersion}";
            }, $"healthy, version {target.ExpectedVersion}").ConfigureAwait(false),
            await StatusCheckAsync(http, "GET /api/health/db", "/api/health/db", target, budget.Token).ConfigureAwait(false),
            await StatusCheckAsync(http, "GET /api/health/redis", "/api/health/redis", target, budget.Token).ConfigureAwait(false),
        };
        if (target.RequireSecurityHeaders)
        {
            checks.Add(await CheckAsync("security headers", target, budget.Token, async token =>
            {
                using var response = await http.GetAsync(new Uri(target.BaseUrl, HealthPath), token).ConfigureAwait(false);
                var missing = SecurityHeaders.Where(h => !response.Headers.Contains(h)).ToArray();
                return missing.Length == 0 ? null : "missing " + string.Join(", ", missing);
            }, $"{SecurityHeaders.Count} present").ConfigureAwait(false));
        }

        return new SmokeReport(target.BaseUrl, checks, clock.Elapsed);
    }

    private static Task<SmokeCheck> StatusCheckAsync(HttpClient http, string name, string path, SmokeTarget target, CancellationToken ct) =>
        CheckAsync(name, target, ct, async token =>
        {
            using var response = await http.GetAsync(new Uri(target.BaseUrl, path), token).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode} {Trim(body)}";
        }, "healthy");

    /// <param name="probe">Returns null when the check passes, else what was wrong.</param>
    private static async Task<SmokeCheck> CheckAsync(string name, SmokeTarget target, CancellationToken ct, Func<CancellationToken, Task<string?>> probe, string success)
    {
        var clock = Stopwatch.StartNew();
        var backoff = target.InitialBackoff;
        string problem = "not run: the smoke budget was used up";
        for (var attempt = 1; attempt <= target.Retries + 1; attempt++)
        {
            try
            {
                var result = await probe(ct).ConfigureAwait(false);
                if (result is null)
                    return new SmokeCheck(name, true, success, attempt, clock.Elapsed);
                problem = result;
            }
            catch (HttpRequestException e)
            {
                problem = e.InnerException?.Message ?? e.Message;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return new SmokeCheck(name, false, $"{problem} (gave up after {target.Timeout.TotalSeconds:0} s)", attempt, clock.Elapsed);
            }
            catch (TaskCanceledException)
            {
                problem = "no answer within 5 s";
            }

            if (attempt <= target.Retries)
            {
                try
                {
                    await Task.Delay(backoff, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return new SmokeCheck(name, false, $"{problem} (gave up after {target.Timeout.TotalSeconds:0} s)", attempt, clock.Elapsed);
                }

                backoff *= 2;
            }
        }

        return new SmokeCheck(name, false, problem, target.Retries + 1, clock.Elapsed);
    }

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

    private static string Trim(string body) => body.Length > 120 ? body[..120] + "…" : body.Trim();

    /// <summary>A client that trusts <paramref name="caFile"/> for its own connections only; validation is never switched off.</summary>
    public static HttpClient CreateClient(string? caFile, TimeSpan? requestTimeout = null)
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

        return new HttpClient(handler, disposeHandler: true) { Timeout = requestTimeout ?? TimeSpan.FromSeconds(5) };
    }
}
