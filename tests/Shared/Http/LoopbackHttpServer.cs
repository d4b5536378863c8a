using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Slipway.Testing;

/// <summary>A received request, as the fake services see it.</summary>
internal sealed record ReceivedRequest(string Method, string RawUrl, WebHeaderCollection Headers, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers[name];
}

/// <summary>An answer from a fake service.</summary>
internal sealed record Reply(int Status, string ContentType, string Body, IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>An HTTP server on 127.0.0.1 (random free port) that answers every request with a handler; for fakes of services that cannot run here (AWS).</summary>
internal sealed class LoopbackHttpServer : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly Func<ReceivedRequest, Reply> handler;
    private readonly Task loop;

    public LoopbackHttpServer(Func<ReceivedRequest, Reply> handler)
    {
        this.handler = handler;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = new Uri($"http://127.0.0.1:{port}/");
        listener.Prefixes.Add(Url.ToString());
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    public Uri Url { get; }

    public List<ReceivedRequest> Requests { get; } = [];

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var request = new ReceivedRequest(context.Request.HttpMethod, context.Request.RawUrl ?? "/", (WebHeaderCollection)context.Request.Headers, body.ToArray());
            lock (Requests)
                Requests.Add(request);

            var reply = handler(request);
            context.Response.StatusCode = reply.Status;
            context.Response.ContentType = reply.ContentType;
            foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
                context.Response.Headers[name] = value;
            var bytes = Encoding.UTF8.GetBytes(reply.Body);
            context.Response.ContentLength64 = bytes.Length;
            if (request.Method != "HEAD")
                await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        // Close alone: after Stop, Close would bind the port again to remove a listener Stop already removed, and fail
        // when the port is taken meanwhile (or still has connections in TIME_WAIT).
        listener.Close();
        loop.Wait(TimeSpan.FromSeconds(5));
    }
}
