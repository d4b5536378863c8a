using System.Net;

namespace Slipway.Delivery.Tests.Deployment.TestStack;

/// <summary>
/// Another client of the public site keeping nginx's API rate limit full: tight loops of GET /version
/// through nginx on 127.0.0.1, counting the 429s they get. Behind docker-proxy it shares its bucket with
/// every other client, the deploy's public check included. Stops by itself after <c>limit</c>.
/// </summary>
internal sealed class RateLimitSaturator : IAsyncDisposable
{
    private readonly CancellationTokenSource stop;
    private readonly Task[] workers;
    private int accepted;
    private int limited;
    private int failed;

    public RateLimitSaturator(HttpClient client, Uri baseUrl, int workers = 6, TimeSpan? limit = null)
    {
        stop = new CancellationTokenSource(limit ?? TimeSpan.FromMinutes(3));
        var url = new Uri(baseUrl, "/version");
        this.workers = Enumerable.Range(0, workers).Select(_ => Task.Run(() => RunAsync(client, url))).ToArray();
    }

    public int Accepted => Volatile.Read(ref accepted);

    public int Limited => Volatile.Read(ref limited);

    /// <summary>Neither 200 nor 429: errors, resets, 5xx.</summary>
    public int Failed => Volatile.Read(ref failed);

    public string Counts => $"{Accepted} accepted, {Limited} limited (429), {Failed} failed";

    /// <summary>Waits until the limit is full: the first 429.</summary>
    public async Task SaturatedAsync()
    {
        while (Limited == 0)
        {
            if (stop.IsCancellationRequested)
                throw new InvalidOperationException($"the rate limit was never reached: {Counts}");
            await Task.Delay(10);
        }
    }

    private async Task RunAsync(HttpClient client, Uri url)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync(url, stop.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                    Interlocked.Increment(ref accepted);
                else if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    Interlocked.Increment(ref limited);
                else
                    Interlocked.Increment(ref failed);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Interlocked.Increment(ref failed);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        stop.Dispose();
    }
}
