using System.Net;

namespace Slipway.Stack.Tests.Nginx;

/// <summary>
/// The deploy's check listener (nginx/sites/checks.conf) against a real nginx: the API's health routes
/// without the public rate limit, nothing else of the API.
/// </summary>
public sealed class CheckListenerTests
{
    [ToolFact("nginx", "openssl")]
    public async Task The_check_listener_answers_every_check_while_a_client_keeps_the_public_api_limit_saturated()
    {
        await using var upstream = await UpstreamServer.StartAsync("2.0.0-checks");
        await using var nginx = await NginxUnderTest.StartAsync(upstream.Port);
        using var publicClient = EdgeClient.Create(nginx);
        using var checkClient = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var (publicOk, publicLimited) = (0, 0);
        using var saturation = new CancellationTokenSource(TimeSpan.FromMinutes(1));

        async Task SaturateAsync()
        {
            while (!saturation.IsCancellationRequested)
            {
                try
                {
                    using var response = await publicClient.GetAsync(new Uri($"https://localhost:{nginx.HttpsPort}/health"), saturation.Token);
                    if (response.StatusCode == HttpStatusCode.TooManyRequests)
                        Interlocked.Increment(ref publicLimited);
                    else if (response.StatusCode == HttpStatusCode.OK)
                        Interlocked.Increment(ref publicOk);
                }
                catch (OperationCanceledException) when (saturation.IsCancellationRequested)
                {
                    return;
                }
            }
        }

        var saturators = Enumerable.Range(0, 8).Select(_ => Task.Run(SaturateAsync)).ToArray();
        while (Volatile.Read(ref publicLimited) == 0 && !saturation.IsCancellationRequested)
            await Task.Delay(10);
        var limitedBefore = Volatile.Read(ref publicLimited);

        var statuses = new List<HttpStatusCode>();
        foreach (var path in Enumerable.Repeat(new[] { "/health", "/version", "/api/health/db", "/api/health/redis" }, 25).SelectMany(p => p))
        {
            using var response = await checkClient.GetAsync(new Uri($"http://127.0.0.1:{nginx.CheckPort}{path}"));
            statuses.Add(response.StatusCode);
        }

        var limitedDuring = Volatile.Read(ref publicLimited) - limitedBefore;
        await saturation.CancelAsync();
        await Task.WhenAll(saturators);

        Assert.True(limitedBefore > 0, "the public limit was never reached");
        Assert.True(limitedDuring > 0, "no public request was limited while the checks ran: the test proved nothing");
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(100, statuses.Count);
        Assert.Equal(25, upstream.RequestsTo("/api/health/redis").Count());
        Assert.True(publicOk > 0, "no public request got through at all");
    }

    [ToolFact("nginx", "openssl")]
    public async Task The_check_listener_serves_only_the_health_routes_and_keeps_no_connection_open()
    {
        await using var upstream = await UpstreamServer.StartAsync("2.0.0-checks");
        await using var nginx = await NginxUnderTest.StartAsync(upstream.Port);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Uri Url(string path) => new($"http://127.0.0.1:{nginx.CheckPort}{path}");

        using var health = await client.GetAsync(Url("/health"));
        using var own = await client.GetAsync(Url("/nginx-health"));
        using var users = await client.GetAsync(Url("/api/users"));
        using var landing = await client.GetAsync(Url("/"));

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("2.0.0-checks", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // Each connection is a relay started by docker exec: nginx must end it after one answer.
        Assert.True(health.Headers.ConnectionClose, "the check listener keeps connections alive");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, users.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, landing.StatusCode);
        Assert.Empty(upstream.RequestsTo("/api/users"));
        Assert.Contains("listen 127.0.0.1:8081 ", await File.ReadAllTextAsync(RepositoryRoot.Combine("nginx", "sites", "checks.conf")), StringComparison.Ordinal);
    }
}
