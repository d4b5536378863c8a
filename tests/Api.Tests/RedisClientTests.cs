using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Api.Configuration;
using Api.Redis;
using Api.Tests.Support;

namespace Api.Tests;

public sealed class RedisClientTests : IAsyncDisposable
{
    private readonly RedisClient client = new(ServerEndpoint(), maxConnections: 4);
    private readonly string prefix = $"test:{Guid.NewGuid():N}:";

    private static RedisEndpoint ServerEndpoint() =>
        RealServers.RedisUrl is { } url ? ApiSettings.ParseRedisUrl(url) : new RedisEndpoint("127.0.0.1", 1);

    public async ValueTask DisposeAsync()
    {
        if (RealServers.TcpReachable(RealServers.RedisUrl))
        {
            var keys = await client.ExecuteAsync(["KEYS", prefix + "*"]);
            if (keys is RedisReply.Array { Items.Count: > 0 } found)
                await client.DeleteAsync(found.Items.Select(k => ((RedisReply.BulkString)k).AsText()!).ToList());
        }

        await client.DisposeAsync();
    }

    [RedisFact]
    public async Task Ping_get_set_with_expiry_delete_incr_and_expire_work_against_redis()
    {
        Assert.True(await client.PingAsync());
        Assert.Null(await client.GetAsync(prefix + "missing"));

        await client.SetAsync(prefix + "greeting", "héllo wörld", TimeSpan.FromSeconds(60));
        Assert.Equal("héllo wörld", await client.GetAsync(prefix + "greeting"));
        var ttl = Assert.IsType<RedisReply.Integer>(await client.ExecuteAsync(["TTL", prefix + "greeting"])).Value;
        Assert.InRange(ttl, 1, 60);

        Assert.Equal(1, await client.IncrementAsync(prefix + "counter"));
        Assert.Equal(2, await client.IncrementAsync(prefix + "counter"));
        Assert.True(await client.ExpireAsync(prefix + "counter", TimeSpan.FromSeconds(30)));
        Assert.False(await client.ExpireAsync(prefix + "absent", TimeSpan.FromSeconds(30)));

        await client.SetAsync(prefix + "plain", "v");
        Assert.Equal(-1, Assert.IsType<RedisReply.Integer>(await client.ExecuteAsync(["TTL", prefix + "plain"])).Value);

        Assert.Equal(2, await client.DeleteAsync([prefix + "greeting", prefix + "counter", prefix + "absent"]));
        Assert.Null(await client.GetAsync(prefix + "greeting"));
    }

    [RedisFact]
    public async Task An_error_reply_throws_and_leaves_the_connection_usable()
    {
        await client.SetAsync(prefix + "text", "not a number");

        var error = await Assert.ThrowsAsync<RedisServerException>(() => client.IncrementAsync(prefix + "text"));

        Assert.Contains("not an integer", error.Message, StringComparison.Ordinal);
        Assert.True(await client.PingAsync());
    }

    [RedisFact]
    public async Task Sequential_commands_reuse_one_connection()
    {
        var first = await ClientIdAsync(client);
        for (var i = 0; i < 5; i++)
            Assert.True(await client.PingAsync());

        Assert.Equal(first, await ClientIdAsync(client));
    }

    [RedisFact]
    public async Task Concurrent_callers_share_the_pool_without_mixing_replies()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            await client.SetAsync($"{prefix}k{i}", $"v{i}");
            return await client.GetAsync($"{prefix}k{i}");
        }));

        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"v{i}"), results);
    }

    [RedisFact]
    public async Task A_connection_the_server_killed_is_replaced_on_next_use()
    {
        var killed = await ClientIdAsync(client);
        await using (var other = new RedisClient(ServerEndpoint()))
            Assert.Equal(1, Assert.IsType<RedisReply.Integer>(await other.ExecuteAsync(["CLIENT", "KILL", "ID", killed.ToString(System.Globalization.CultureInfo.InvariantCulture)])).Value);

        Assert.True(await client.PingAsync());
        Assert.NotEqual(killed, await ClientIdAsync(client));
    }

    [ToolFact("redis-server")]
    public async Task The_client_recovers_after_the_server_restarts()
    {
        var port = FreePort.Next();
        await using var restarting = new RedisClient(new RedisEndpoint("127.0.0.1", port) { ConnectTimeout = TimeSpan.FromSeconds(1) });
        using (await OwnRedisServer.StartAsync(port))
        {
            await restarting.SetAsync("k", "before");
            Assert.Equal("before", await restarting.GetAsync("k"));
        }

        var down = await Assert.ThrowsAsync<RedisConnectionException>(() => restarting.PingAsync());
        Assert.Contains($"127.0.0.1:{port}", down.Message, StringComparison.Ordinal);

        using (await OwnRedisServer.StartAsync(port))
        {
            Assert.True(await restarting.PingAsync());
            Assert.Null(await restarting.GetAsync("k"));
        }
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out_and_the_stuck_connection_is_dropped()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var stuck = new RedisClient(new RedisEndpoint("127.0.0.1", port) { CommandTimeout = TimeSpan.FromMilliseconds(300) });

        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => stuck.PingAsync());
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        Assert.Equal($"Redis at 127.0.0.1:{port} did not answer PING within 0.3 s", error.Message);

        await Assert.ThrowsAsync<RedisConnectionException>(() => stuck.PingAsync());
        using var firstAccepted = await silent.AcceptSocketAsync();
        using var secondAccepted = await silent.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(secondAccepted);
    }

    [Fact]
    public async Task A_peer_that_hangs_up_mid_command_is_a_connection_error()
    {
        using var rude = new TcpListener(IPAddress.Loopback, 0);
        rude.Start();
        var port = ((IPEndPoint)rude.LocalEndpoint).Port;
        await using var client = new RedisClient(new RedisEndpoint("127.0.0.1", port));

        var ping = client.PingAsync();
        (await rude.AcceptSocketAsync()).Dispose();
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => ping);

        Assert.StartsWith($"Redis at 127.0.0.1:{port} dropped the connection during PING", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_peer_that_speaks_something_else_is_a_protocol_error()
    {
        using var http = new TcpListener(IPAddress.Loopback, 0);
        http.Start();
        var port = ((IPEndPoint)http.LocalEndpoint).Port;
        await using var client = new RedisClient(new RedisEndpoint("127.0.0.1", port));

        var ping = client.PingAsync();
        using var peer = await http.AcceptSocketAsync();
        await peer.SendAsync("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray());
        var error = await Assert.ThrowsAsync<RedisProtocolException>(() => ping);

        Assert.Equal("Redis protocol error: unknown reply type 'H'", error.Message);
    }

    [Fact]
    public async Task Nothing_listening_is_a_clear_connection_error()
    {
        var port = FreePort.Next();
        await using var nowhere = new RedisClient(new RedisEndpoint("127.0.0.1", port));

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => nowhere.PingAsync());

        Assert.StartsWith($"Redis at 127.0.0.1:{port} is not reachable", error.Message, StringComparison.Ordinal);
    }

    private static async Task<long> ClientIdAsync(RedisClient redis) =>
        Assert.IsType<RedisReply.Integer>(await redis.ExecuteAsync(["CLIENT", "ID"])).Value;

    /// <summary>A redis-server of the test's own on a free loopback port; stopped (SIGKILL, by pid) on dispose.</summary>
    private sealed class OwnRedisServer : IDisposable
    {
        private readonly Process process;

        private OwnRedisServer(Process process) => this.process = process;

        public static async Task<OwnRedisServer> StartAsync(int port)
        {
            var info = new ProcessStartInfo("redis-server")
            {
                ArgumentList = { "--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no" },
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            var process = Process.Start(info)!;
            process.BeginOutputReadLine();
            var server = new OwnRedisServer(process);
            for (var attempt = 0; attempt < 100 && !RealServers.TcpReachable($"redis://127.0.0.1:{port}"); attempt++)
                await Task.Delay(50);
            return server;
        }

        public void Dispose()
        {
            process.Kill();
            process.WaitForExit();
            process.Dispose();
        }
    }
}
