using System.Net.Sockets;
using System.Text;

namespace Slipway.Delivery.Tests.Deployment.TestStack;

/// <summary>
/// A unix socket in front of the real engine that passes everything through. Armed, it lets the next archive upload
/// (PUT …/archive, how the ledger writes a record) reach the engine only up to a chosen byte and then holds both
/// directions, as a write in flight is when its process dies: the test kills the writer there, and the proxy then
/// closes the upload half-sent and waits for the engine to finish with it.
/// </summary>
internal sealed class CuttingEngineProxy : IAsyncDisposable
{
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
    private readonly string folder;
    private readonly Socket listener;
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;
    private readonly TaskCompletionSource cut = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Func<byte[], int>? cutAt;

    public CuttingEngineProxy()
    {
        folder = Directory.CreateTempSubdirectory("slipway-proxy-").FullName;
        var path = Path.Combine(folder, "docker.sock");
        listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        Endpoint = "unix://" + path;
        accepting = AcceptAsync();
    }

    /// <summary>DOCKER_HOST for the process whose writes are cut.</summary>
    public string Endpoint { get; }

    /// <summary>Done when the armed upload was sent up to its cut.</summary>
    public Task Cut => cut.Task;

    /// <summary>Done when the engine is finished with the cut upload (it answered, or closed the connection).</summary>
    public Task Finished => finished.Task;

    /// <summary>The next archive upload reaches the engine only up to the byte of its body <paramref name="at"/> returns.</summary>
    public void Arm(Func<byte[], int> at) => cutAt = at;

    private static string EngineSocket =>
        RealServers.DockerHost.StartsWith("unix://", StringComparison.Ordinal)
            ? RealServers.DockerHost["unix://".Length..]
            : throw new InvalidOperationException($"the cutting proxy fronts a unix socket engine, not {RealServers.DockerHost}");

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await listener.AcceptAsync(stop.Token);
                _ = Task.Run(() => RelayAsync(client));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var engine = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using (client)
        {
            await engine.ConnectAsync(new UnixDomainSocketEndPoint(EngineSocket));
            var held = new TaskCompletionSource();
            var down = PumpDownAsync(engine, client, held.Task);
            var cutHere = await PumpUpAsync(client, engine, held);
            if (!cutHere)
            {
                await down;
                return;
            }

            // The writer is dead (its side closed): the engine sees the upload end half-way.
            engine.Shutdown(SocketShutdown.Send);
            var buffer = new byte[4096];
            try
            {
                while (await engine.ReceiveAsync(buffer, SocketFlags.None) > 0)
                {
                }
            }
            catch (SocketException)
            {
            }

            finished.TrySetResult();
        }
    }

    /// <summary>Engine → client, until either closes; once <paramref name="held"/> is done, nothing more reaches the client.</summary>
    private static async Task PumpDownAsync(Socket engine, Socket client, Task held)
    {
        var buffer = new byte[65536];
        try
        {
            while (!held.IsCompleted)
            {
                var read = await engine.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0 || held.IsCompleted)
                    break;
                await client.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }

            if (!held.IsCompleted)
                client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Client → engine, request by request once armed; true when it cut an upload (and then waited for the client to die).</summary>
    private async Task<bool> PumpUpAsync(Socket client, Socket engine, TaskCompletionSource held)
    {
        var pending = new List<byte>();
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                var read = await client.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    engine.Shutdown(SocketShutdown.Send);
                    return false;
                }

                if (cutAt is null)
                {
                    await engine.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
                    continue;
                }

                pending.AddRange(buffer.AsSpan(0, read).ToArray());
                while (Request.TryTake(pending, out var request))
                {
                    if (request.IsArchiveUpload && Interlocked.Exchange(ref cutAt, null) is { } at)
                    {
                        var keep = Math.Clamp(at(request.Body), 0, request.Body.Length);
                        await engine.SendAsync(request.Head, SocketFlags.None);
                        await engine.SendAsync(request.Body.AsMemory(0, keep), SocketFlags.None);
                        held.TrySetResult();
                        cut.TrySetResult();
                        while (await client.ReceiveAsync(buffer, SocketFlags.None) > 0)
                        {
                        }

                        return true;
                    }

                    await engine.SendAsync(request.Head, SocketFlags.None);
                    await engine.SendAsync(request.Body, SocketFlags.None);
                }
            }
        }
        catch (SocketException)
        {
            return held.Task.IsCompleted;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Dispose();
        await accepting;
        stop.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>One HTTP/1.1 request off the front of what the client sent: its head, and its body by Content-Length or chunks.</summary>
    private sealed record Request(byte[] Head, byte[] Body)
    {
        public bool IsArchiveUpload
        {
            get
            {
                var line = Encoding.ASCII.GetString(Head).Split("\r\n")[0];
                return line.StartsWith("PUT ", StringComparison.Ordinal) && line.Contains("/archive?", StringComparison.Ordinal);
            }
        }

        public static bool TryTake(List<byte> pending, out Request request)
        {
            request = null!;
            var bytes = pending.ToArray();
            var headEnd = bytes.AsSpan().IndexOf(HeadEnd);
            if (headEnd < 0)
                return false;
            var head = bytes[..(headEnd + HeadEnd.Length)];
            var headers = Encoding.ASCII.GetString(head).Split("\r\n");
            string? Header(string name) => headers.FirstOrDefault(h => h.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))?[(name.Length + 1)..].Trim();
            int bodyLength;
            if (Header("Content-Length") is { } length)
            {
                bodyLength = int.Parse(length, System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true)
            {
                var end = bytes.AsSpan(head.Length).IndexOf("\r\n0\r\n\r\n"u8);
                var empty = bytes.AsSpan(head.Length).StartsWith("0\r\n\r\n"u8);
                if (end < 0 && !empty)
                    return false;
                bodyLength = empty ? 5 : end + 7;
            }
            else
            {
                bodyLength = 0;
            }

            if (bytes.Length < head.Length + bodyLength)
                return false;
            request = new Request(head, bytes[head.Length..(head.Length + bodyLength)]);
            pending.RemoveRange(0, head.Length + bodyLength);
            return true;
        }
    }
}
