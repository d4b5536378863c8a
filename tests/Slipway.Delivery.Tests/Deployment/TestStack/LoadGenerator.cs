using System.Collections.Concurrent;
using System.Net;

namespace Slipway.Delivery.Tests.Deployment.TestStack;

/// <summary>
/// Steady GET /version traffic through nginx on 127.0.0.1 while a deploy runs, below nginx's API rate limit
/// (50 r/s): keep-alive clients reusing their connections and clients opening a fresh connection (and TLS
/// handshake) per request, about 35 requests a second in all. Counts every failed request (connection
/// error, reset, timeout, any status but 200), the versions that answered and the proxy releases (the edge's
/// X-Edge-Release header) that served them.
/// </summary>
internal sealed class LoadGenerator : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task[] workers;
    private int succeeded;
    private int failed;

    public LoadGenerator(HttpClient client, Uri baseUrl, int keepAlive = 2, int fresh = 1)
    {
        var url = new Uri(baseUrl, "/version");
        workers =
        [
            .. Enumerable.Range(0, keepAlive).Select(_ => Task.Run(() => RunAsync(client, url, freshConnection: false, TimeSpan.FromMilliseconds(60)))),
            .. Enumerable.Range(0, fresh).Select(_ => Task.Run(() => RunAsync(client, url, freshConnection: true, TimeSpan.FromMilliseconds(80)))),
        ];
    }

    public int Succeeded => succeeded;

    public int Failed => failed;

    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>Versions in the order they were first seen.</summary>
    public ConcurrentDictionary<string, int> Versions { get; } = new();

    public string? LastVersion { get; private set; }

    /// <summary>The edge releases (X-Edge-Release) that answered, in the order first seen; "" for an edge without the header.</summary>
    public ConcurrentDictionary<string, int> EdgeReleases { get; } = new();

    public string? LastEdgeRelease { get; private set; }

    /// <summary>Requests sent on a connection of their own.</summary>
    public int Fresh => fresh;

    private int fresh;

    private async Task RunAsync(HttpClient client, Uri url, bool freshConnection, TimeSpan pause)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                // Connection: close makes nginx close after the answer: the next request opens a new connection.
                request.Headers.ConnectionClose = freshConnection;
                using var response = await client.SendAsync(request, stop.Token);
                var body = await response.Content.ReadAsStringAsync(stop.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var version = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("version").GetString()!;
                    Versions.AddOrUpdate(version, 1, (_, n) => n + 1);
                    LastVersion = version;
                    var edge = response.Headers.TryGetValues("X-Edge-Release", out var values) ? string.Join(",", values) : "";
                    EdgeReleases.AddOrUpdate(edge, 1, (_, n) => n + 1);
                    LastEdgeRelease = edge;
                    Interlocked.Increment(ref succeeded);
                    if (freshConnection)
                        Interlocked.Increment(ref fresh);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    Failures.Enqueue($"HTTP {(int)response.StatusCode}: {body}");
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Interlocked.Increment(ref failed);
                Failures.Enqueue(e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message);
            }

            try
            {
                await Task.Delay(pause, stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Stops the traffic and waits for the requests in flight; the counts are final afterwards.</summary>
    public async Task StopAsync()
    {
        if (!stop.IsCancellationRequested)
            await stop.CancelAsync();
        await Task.WhenAll(workers);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        stop.Dispose();
    }
}
