using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Slipway.Tools.Tests.Docker.Fronts;

/// <summary>
/// A stand-in for a Docker Engine 29 in front of the real 20.10 engine at DOCKER_HOST. It replays Docker
/// 29's documented behaviour (Engine API reference, "API version matrix": 29.0 speaks API 1.52 and, since
/// 29.0, no client below 1.44; moby's version middleware for the error text): /_ping and /version are
/// answered as Docker 29.0 answers them (ApiVersion 1.52, MinAPIVersion 1.44, an Api-Version header); a
/// request for /v1.x below 1.44 or above 1.52 gets HTTP 400 with Docker 29's JSON error body; every other
/// request is forwarded to the real engine with its version prefix rewritten to /v1.41, so real
/// containers and images are involved.
/// </summary>
internal sealed partial class Docker29Front : IAsyncDisposable
{
    public const string ApiVersion = "1.52";
    public const string MinApiVersion = "1.44";
    private const string EngineApiVersion = "1.41";

    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly string upstream;
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;

    private readonly SslServerAuthenticationOptions? tls;

    /// <param name="tls">Serve TLS (the way a remote engine listens on 2376), or plain HTTP when null.</param>
    public Docker29Front(string upstreamDockerHost, SslServerAuthenticationOptions? tls = null)
    {
        upstream = upstreamDockerHost;
        this.tls = tls;
        listener.Start();
        accepting = AcceptAsync();
    }

    /// <summary>tcp://127.0.0.1:port, for DockerEndpoint.Parse.</summary>
    public string Address => $"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    /// <summary>Every request path the front saw, as the client sent it.</summary>
    public List<string> Paths { get; } = [];

    private async Task AcceptAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
                _ = ServeAsync(await listener.AcceptTcpClientAsync(stop.Token));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            await using var stream = await OpenAsync(client);
            var pending = new List<byte>();
            while (await ReadHeadAsync(stream, pending, stop.Token) is { } head)
            {
                var (method, path) = RequestLine(head);
                lock (Paths)
                    Paths.Add(path);
                if (await AnswerAsync(stream, method, path))
                    continue;
                await ForwardAsync(stream, Rewrite(head, path), pending);
                return;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or AuthenticationException)
        {
            // The client or the engine hung up; nothing to answer.
        }
    }

    private async Task<Stream> OpenAsync(TcpClient client)
    {
        if (tls is null)
            return client.GetStream();
        var ssl = new SslStream(client.GetStream());
        await ssl.AuthenticateAsServerAsync(tls, stop.Token);
        return ssl;
    }

    /// <summary>Answers what Docker 29 answers itself; false for a request the real engine should serve.</summary>
    private async Task<bool> AnswerAsync(Stream stream, string method, string path)
    {
        var route = PathWithoutVersion(path, out var version);
        if (version is not null && Version.Parse(version) < Version.Parse(MinApiVersion))
        {
            await RespondAsync(stream, 400, $$"""{"message":"client version {{version}} is too old. Minimum supported API version is {{MinApiVersion}}, please upgrade your client to a newer version"}""");
            return true;
        }

        if (version is not null && Version.Parse(version) > Version.Parse(ApiVersion))
        {
            await RespondAsync(stream, 400, $$"""{"message":"client version {{version}} is too new. Maximum supported API version is {{ApiVersion}}"}""");
            return true;
        }

        if (route.StartsWith("/_ping", StringComparison.Ordinal))
        {
            await RespondAsync(stream, 200, method == "HEAD" ? "" : "OK", "text/plain; charset=utf-8");
            return true;
        }

        if (route.StartsWith("/version", StringComparison.Ordinal))
        {
            await RespondAsync(stream, 200, JsonSerializer.Serialize(new
            {
                Platform = new { Name = "Docker Engine - Community" },
                Components = new[] { new { Name = "Engine", Version = "29.0.0", Details = new { ApiVersion, MinAPIVersion = MinApiVersion, Os = "linux", Arch = "amd64" } } },
                Version = "29.0.0",
                ApiVersion,
                MinAPIVersion = MinApiVersion,
                GitCommit = "3d4129b",
                GoVersion = "go1.25.4",
                Os = "linux",
                Arch = "amd64",
                KernelVersion = "6.1.0",
                BuildTime = "2025-11-10T00:00:00.000000000+00:00",
            }));
            return true;
        }

        return false;
    }

    private static async Task RespondAsync(Stream stream, int status, string body, string contentType = "application/json")
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var reason = status == 200 ? "OK" : "Bad Request";
        var head = $"HTTP/1.1 {status} {reason}\r\nApi-Version: {ApiVersion}\r\nDocker-Experimental: false\r\nOstype: linux\r\n" +
                   $"Server: Docker/29.0.0 (linux)\r\nContent-Type: {contentType}\r\nContent-Length: {bytes.Length}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(bytes);
    }

    /// <summary>The request head for the real engine: /v1.41 instead of the client's version, one request per connection.</summary>
    private static string Rewrite(string head, string path)
    {
        var route = PathWithoutVersion(path, out var version);
        var lines = head.Split("\r\n").ToList();
        var parts = lines[0].Split(' ');
        lines[0] = $"{parts[0]} {(version is null ? path : $"/v{EngineApiVersion}{route}")} {parts[2]}";
        var upgrade = lines.Any(l => l.StartsWith("Upgrade:", StringComparison.OrdinalIgnoreCase));
        if (!upgrade)
        {
            lines.RemoveAll(l => l.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase));
            lines.Insert(1, "Connection: close");
        }

        return string.Join("\r\n", lines) + "\r\n\r\n";
    }

    private async Task ForwardAsync(Stream client, string head, List<byte> pending)
    {
        using var engine = await ConnectUpstreamAsync();
        var upstreamStream = new NetworkStream(engine, ownsSocket: false);
        // One write: the engine may answer a GET and close before a second (even empty) write.
        await upstreamStream.WriteAsync((byte[])[.. Encoding.ASCII.GetBytes(head), .. pending]);
        // A client's half-close is not passed on: the engine would take it for a client gone and drop the answer.
        var toEngine = client.CopyToAsync(upstreamStream, stop.Token);
        await upstreamStream.CopyToAsync(client, stop.Token);
        await client.FlushAsync(stop.Token);
        // Wait (briefly) for the client to hang up first: closing a socket with unread bytes sends a reset,
        // which can cost the client the answer it has not read yet.
        await Task.WhenAny(toEngine, Task.Delay(TimeSpan.FromSeconds(5), stop.Token));
        _ = toEngine.ContinueWith(t => t.Exception, TaskScheduler.Default);
    }

    private async Task<Socket> ConnectUpstreamAsync()
    {
        if (upstream.StartsWith("unix://", StringComparison.Ordinal))
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(upstream["unix://".Length..]), stop.Token);
            return socket;
        }

        var uri = new Uri(upstream);
        var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await tcp.ConnectAsync(uri.Host, uri.Port, stop.Token);
        return tcp;
    }

    /// <summary>Reads up to the blank line ending a request head; bytes read past it stay in <paramref name="pending"/>.</summary>
    private static async Task<string?> ReadHeadAsync(Stream stream, List<byte> pending, CancellationToken ct)
    {
        var buffer = new byte[8192];
        while (true)
        {
            var end = IndexOfBlankLine(pending);
            if (end >= 0)
            {
                var head = Encoding.ASCII.GetString(pending.GetRange(0, end).ToArray());
                pending.RemoveRange(0, end + 4);
                return head;
            }

            var read = await stream.ReadAsync(buffer, ct);
            if (read == 0)
                return null;
            pending.AddRange(buffer.AsSpan(0, read).ToArray());
        }
    }

    private static int IndexOfBlankLine(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
                return i;
        }

        return -1;
    }

    private static (string Method, string Path) RequestLine(string head)
    {
        var parts = head.Split("\r\n")[0].Split(' ');
        return (parts[0], parts[1]);
    }

    private static string PathWithoutVersion(string path, out string? version)
    {
        var match = VersionPrefix().Match(path);
        version = match.Success ? match.Groups[1].Value : null;
        return match.Success ? match.Groups[2].Value : path;
    }

    [GeneratedRegex(@"^/v(\d+\.\d+)(/.*)$")]
    private static partial Regex VersionPrefix();

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await accepting;
        stop.Dispose();
    }
}
