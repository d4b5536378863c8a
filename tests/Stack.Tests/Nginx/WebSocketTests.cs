using System.Net.WebSockets;
using System.Text;

namespace Slipway.Stack.Tests.Nginx;

/// <summary>WebSocket upgrade through nginx over TLS to a real WebSocket server upstream.</summary>
public sealed class WebSocketTests(EdgeFixture edge) : IClassFixture<EdgeFixture>
{
    [ToolFact("nginx", "openssl")]
    public async Task A_websocket_upgrade_is_proxied_and_messages_flow_both_ways()
    {
        using var invoker = new HttpMessageInvoker(EdgeClient.CreateHandler(edge.Nginx));
        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        await socket.ConnectAsync(new Uri($"wss://localhost:{edge.Nginx.HttpsPort}/api/ws"), invoker, timeout.Token);
        var replies = new List<string>();
        foreach (var message in new[] { "first", $"second-{Guid.NewGuid():N}" })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
            var buffer = new byte[1024];
            var received = await socket.ReceiveAsync(buffer, timeout.Token);
            replies.Add(Encoding.UTF8.GetString(buffer, 0, received.Count));
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);

        Assert.Equal("echo:first", replies[0]);
        Assert.StartsWith("echo:second-", replies[1], StringComparison.Ordinal);
        Assert.Equal(WebSocketState.Closed, socket.State);
        var upgrade = Assert.Single(edge.Upstream.RequestsTo("/api/ws"));
        Assert.True(upgrade.WebSocket, "the upstream did not see an Upgrade request");
        Assert.Equal("https", upgrade.ForwardedProto);
    }
}
