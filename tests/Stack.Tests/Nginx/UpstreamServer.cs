using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Slipway.Stack.Tests.Nginx;

/// <summary>One request as the upstream saw it (after nginx).</summary>
public sealed record UpstreamRequest(
    string Method,
    string Path,
    string Host,
    string? ForwardedProto,
    string? RealIp,
    string? UserAgent,
    string ConnectionId,
    bool WebSocket);

/// <summary>
/// A real HTTP server (Kestrel on 127.0.0.1) standing where the API sits behind nginx, recording every
/// request that reaches it. It answers like the API where the tests need it: GET /health with
/// {"status":"healthy","version":...}; /api/ws echoes WebSocket messages; /api/large returns a
/// compressible JSON body; anything else echoes its path.
/// </summary>
public sealed class UpstreamServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private UpstreamServer(WebApplication app, string version)
    {
        this.app = app;
        Version = version;
    }

    public string Version { get; }

    public int Port { get; private set; }

    /// <summary>Status /health answers with; 200 unless a test makes the API unhealthy.</summary>
    public int HealthStatusCode { get; set; } = StatusCodes.Status200OK;

    public ConcurrentQueue<UpstreamRequest> Requests { get; } = new();

    public static async Task<UpstreamServer> StartAsync(string version)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new UpstreamServer(app, version);
        app.UseWebSockets();
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            server.Requests.Enqueue(new UpstreamRequest(
                request.Method,
                request.Path + request.QueryString,
                request.Host.Value ?? "",
                request.Headers["X-Forwarded-Proto"].FirstOrDefault(),
                request.Headers["X-Real-IP"].FirstOrDefault(),
                request.Headers.UserAgent.FirstOrDefault(),
                context.Connection.Id,
                context.WebSockets.IsWebSocketRequest));
            await next(context);
        });
        app.MapGet("/health", (HttpContext context) =>
            Results.Json(new { status = server.HealthStatusCode == 200 ? "healthy" : "unhealthy", version = server.Version }, statusCode: server.HealthStatusCode));
        app.MapGet("/api/large", () => Results.Json(Enumerable.Range(0, 200).Select(i => new { id = i, name = $"user {i}", tier = "free" })));
        app.Map("/api/ws", EchoWebSocketAsync);
        app.MapFallback("{**path}", (HttpContext context) => Results.Json(new { path = context.Request.Path.Value }));
        await app.StartAsync();
        server.Port = new Uri(app.Urls.Single()).Port;
        return server;
    }

    public IEnumerable<UpstreamRequest> RequestsTo(string path) => Requests.Where(r => r.Path == path);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private static async Task EchoWebSocketAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[4096];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", context.RequestAborted);
                return;
            }

            var reply = Encoding.UTF8.GetBytes("echo:" + Encoding.UTF8.GetString(buffer, 0, received.Count));
            await socket.SendAsync(reply, WebSocketMessageType.Text, endOfMessage: true, context.RequestAborted);
        }
    }
}
