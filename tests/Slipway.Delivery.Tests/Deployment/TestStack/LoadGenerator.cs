using System.Collections.Concurrent;
using System.Net;

namespace Slipway.Delivery.Tests.Deployment.TestStack;

/// <summary>
/// Steady GET /version traffic through nginx on 127.0.0.1 while a deploy runs, below nginx's API rate
/// limit (50 r/s), counting every failed request and the versions that answered.
/// </summary>
internal sealed class LoadGenerator : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task[] workers;
    private int succeeded;
    private int failed;

    public LoadGenerator(HttpClient client, Uri baseUrl, int workers = 2, TimeSpan? pause = null)
    {
        this.workers = Enumerable.Range(0, workers).Select(_ => Task.Run(() => RunAsync(client, new Uri(baseUrl, "/version"), pause ?? TimeSpan.FromMilliseconds(60)))).ToArray();
    }

    public int Succeeded => succeeded;

    public int Failed => failed;

    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>Versions in the order they were first seen.</summary>
    public ConcurrentDictionary<string, int> Versions { get; } = new();

    public string? LastVersion { get; private set; }

    private async Task RunAsync(HttpClient client, Uri url, TimeSpan pause)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync(url, stop.Token);
                var body = await response.Content.ReadAsStringAsync(stop.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var version = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("version").GetString()!;
                    Versions.AddOrUpdate(version, 1, (_, n) => n + 1);
                    LastVersion = version;
                    Interlocked.Increment(ref succeeded);
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
                Failures.Enqueue(e.Message);
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
