using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace Slipway.Stack.Tests.Nginx;

/// <summary>
/// The contract the blue-green deploy relies on: the API's address lives in upstreams/api.conf alone,
/// and rewriting it plus `nginx -s reload` moves traffic without failing requests in flight.
/// </summary>
public sealed class UpstreamSwitchTests
{
    [ToolFact("nginx", "openssl")]
    public async Task Rewriting_the_upstream_include_and_reloading_moves_traffic_without_failed_requests()
    {
        await using var blue = await UpstreamServer.StartAsync("1.0.0-blue");
        await using var green = await UpstreamServer.StartAsync("2.0.0-green");
        await using var nginx = await NginxUnderTest.StartAsync(blue.Port);
        using var client = EdgeClient.Create(nginx);
        var health = new Uri($"https://localhost:{nginx.HttpsPort}/health");
        var failures = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();

        // Stays under the api zone's rate (50 r/s) so every non-200 is a real failure.
        var load = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.GetAsync(health, CancellationToken.None);
                if (response.StatusCode != HttpStatusCode.OK)
                    failures.Add($"{(int)response.StatusCode}");
                await Task.Delay(40, CancellationToken.None);
            }
        });
        Assert.Equal("1.0.0-blue", await VersionAsync(client, health));

        await nginx.SwitchUpstreamAsync(green.Port);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await VersionAsync(client, health) != "2.0.0-green" && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        await Task.Delay(500);
        await stop.CancelAsync();
        await load;

        Assert.Equal("2.0.0-green", await VersionAsync(client, health));
        Assert.Empty(failures);
        Assert.NotEmpty(blue.RequestsTo("/health"));
        Assert.NotEmpty(green.RequestsTo("/health"));
    }

    private static async Task<string?> VersionAsync(HttpClient client, Uri health)
    {
        using var response = await client.GetAsync(health);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("version").GetString();
    }
}
