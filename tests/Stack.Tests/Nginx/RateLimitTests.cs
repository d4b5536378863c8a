using System.Collections.Concurrent;
using System.Net;

namespace Slipway.Stack.Tests.Nginx;

/// <summary>Per-service rate limiting, proven with a burst against a real nginx of its own (the zones are per instance).</summary>
public sealed class RateLimitTests
{
    [ToolFact("nginx", "openssl")]
    public async Task A_burst_on_the_api_gets_429s_that_never_reach_the_upstream_while_the_landing_page_still_serves()
    {
        await using var upstream = await UpstreamServer.StartAsync("burst");
        await using var nginx = await NginxUnderTest.StartAsync(upstream.Port);
        using var client = EdgeClient.Create(nginx);
        var url = new Uri($"https://localhost:{nginx.HttpsPort}/api/burst");
        var statuses = new ConcurrentBag<HttpStatusCode>();

        await Parallel.ForEachAsync(Enumerable.Range(0, 600), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, ct) =>
        {
            using var response = await client.GetAsync(url, ct);
            statuses.Add(response.StatusCode);
        });

        var accepted = statuses.Count(s => s == HttpStatusCode.OK);
        var limited = statuses.Count(s => s == HttpStatusCode.TooManyRequests);
        Assert.Equal(600, accepted + limited);
        Assert.True(limited > 0, "no request was rate limited");
        Assert.True(accepted >= 100, $"only {accepted} requests passed; the api zone allows a burst of 100");
        Assert.Equal(accepted, upstream.RequestsTo("/api/burst").Count());

        using var landing = await client.GetAsync(new Uri($"https://localhost:{nginx.HttpsPort}/"));
        using var health = await client.GetAsync(new Uri($"https://localhost:{nginx.HttpsPort}/nginx-health"));
        Assert.Equal(HttpStatusCode.OK, landing.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
