using System.Net;
using System.Net.Sockets;

namespace Slipway.Tools.Tests.Docker.Fronts;

/// <summary>A hung engine: accepts connections and reads requests, and never answers.</summary>
internal sealed class SilentFront : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> held = [];
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;

    public SilentFront()
    {
        listener.Start();
        accepting = AcceptAsync();
    }

    public string Address => $"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    public int Connections
    {
        get
        {
            lock (held)
                return held.Count;
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                lock (held)
                    held.Add(client);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await accepting;
        lock (held)
            held.ForEach(c => c.Dispose());
        stop.Dispose();
    }
}
