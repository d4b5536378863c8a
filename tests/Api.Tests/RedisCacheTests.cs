using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Api.Redis;
using Api.Tests.Support;
using Api.Users;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using StackExchange.Redis;

namespace Api.Tests;

/// <summary>
/// The API's user cache and Redis health check against redis-servers of the tests' own, one per form of
/// REDIS_URL (none, requirepass, ACL user and database, TLS), and with Redis wrong, down or silent.
/// </summary>
public sealed class RedisCacheTests : IAsyncLifetime
{
    private TestDatabase? database;

    private TestDatabase Database => database!;

    public async Task InitializeAsync()
    {
        if (RealServers.TcpReachable(RealServers.DatabaseUrl))
            database = await TestDatabase.CreateAsync();
    }

    public async Task DisposeAsync()
    {
        if (database is not null)
            await database.DisposeAsync();
    }

    [OwnRedisFact]
    public async Task Without_a_password_the_cache_fills_and_health_is_healthy()
    {
        using var redis = await OwnRedisServer.StartAsync();

        await AssertCachesThroughAsync(redis, database: 0);
    }

    [OwnRedisFact]
    public async Task With_requirepass_the_password_in_the_url_is_used()
    {
        using var redis = await OwnRedisServer.StartAsync(new OwnRedisOptions { RequirePass = "pass/with:odd@chars" });

        await AssertCachesThroughAsync(redis, database: 0);
    }

    [OwnRedisFact]
    public async Task With_an_acl_user_the_cache_lands_in_the_database_of_the_url()
    {
        using var redis = await OwnRedisServer.StartAsync(new OwnRedisOptions { AclUser = ("app", "secret"), Database = 3 });

        await AssertCachesThroughAsync(redis, database: 3);
    }

    [OwnRedisFact]
    public async Task Over_tls_with_an_acl_user_and_a_database_trusting_the_ca_of_redis_ca_file()
    {
        using var redis = await OwnRedisServer.StartAsync(new OwnRedisOptions { Tls = true, AclUser = ("app", "secret"), Database = 5 });

        await AssertCachesThroughAsync(redis, database: 5, caFile: redis.CaFile);
    }

    [OwnRedisFact]
    public async Task Tls_to_a_server_whose_ca_is_not_trusted_is_one_clear_error_and_users_come_from_postgresql()
    {
        using var redis = await OwnRedisServer.StartAsync(new OwnRedisOptions { Tls = true });
        await using var api = await StartApiAsync(redis.Url);

        var error = await UnhealthyRedisAsync(api);

        Assert.StartsWith($"Redis at rediss://127.0.0.1:{redis.Port}/0: TLS handshake failed (", error, StringComparison.Ordinal);
        Assert.EndsWith("is the server's CA trusted (system store or REDIS_CA_FILE)?", error, StringComparison.Ordinal);
        await AssertServedFromPostgresAsync(api);
    }

    [OwnRedisFact]
    public async Task A_wrong_password_is_one_clear_error_that_never_shows_the_password()
    {
        using var redis = await OwnRedisServer.StartAsync(new OwnRedisOptions { AclUser = ("app", "right-secret") });
        await using var api = await StartApiAsync($"redis://app:wrong-secret@127.0.0.1:{redis.Port}");

        var error = await UnhealthyRedisAsync(api);

        Assert.Equal($"Redis at redis://127.0.0.1:{redis.Port}/0 refused the user or password in REDIS_URL (WRONGPASS/NOAUTH); fix REDIS_URL", error);
        await AssertServedFromPostgresAsync(api);
    }

    [OwnRedisFact]
    public async Task The_api_process_logs_the_wrong_password_error_as_one_line_and_never_logs_a_password()
    {
        using var redis = await OwnRedisServer.StartAsync(new OwnRedisOptions { RequirePass = "right-secret" });
        var port = FreePort.Next();
        using var api = ApiProcess.Start(
            new Dictionary<string, string> { ["DATABASE_URL"] = Database.Url, ["REDIS_URL"] = $"redis://:wrong-secret@127.0.0.1:{redis.Port}" },
            "--urls", $"http://127.0.0.1:{port}", "--Logging:LogLevel:Default=Debug");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        await ProcessTests.WaitUntilHealthyAsync(client, api);

        using var health = await client.GetAsync("/api/health/redis");
        using var user = await client.GetAsync($"/api/users/{Guid.NewGuid()}");
        api.Terminate();
        await api.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, user.StatusCode);
        var output = api.Stdout.Concat(api.Stderr).ToList();
        Assert.Contains(output, line => line.Contains(
            $"User cache read failed, using PostgreSQL: Redis at redis://127.0.0.1:{redis.Port}/0 refused the user or password in REDIS_URL", StringComparison.Ordinal));
        Assert.DoesNotContain(output, line => line.Contains("secret", StringComparison.Ordinal));
        Assert.DoesNotContain(output, line => line.Contains(":slipway@", StringComparison.Ordinal));
    }

    [OwnRedisFact]
    public async Task Redis_going_down_fails_over_to_postgresql_at_once_and_the_cache_returns_with_redis()
    {
        using var redis = await OwnRedisServer.StartAsync();
        await using var api = await StartApiAsync(redis.Url);
        var id = await CreateUserAsync(api);
        (await api.Client.GetAsync($"/api/users/{id}")).Dispose();

        using var logs = CaptureLogs(api);
        redis.Kill();
        using var whileDown = await api.Client.GetAsync($"/api/users/{id}");

        Assert.Equal(HttpStatusCode.OK, whileDown.StatusCode);
        // Fail fast: the read fell back because the connection was down, not because a command timed out (a read queued
        // until Redis is back, or until its 2 s timeout, ends in a RedisTimeoutException: "did not answer within").
        var fallback = Assert.Single(CacheFailures(logs, "read"));
        Assert.StartsWith($"Redis at redis://127.0.0.1:{redis.Port}/0 ", fallback, StringComparison.Ordinal);
        Assert.DoesNotContain("did not answer within", fallback, StringComparison.Ordinal);
        Assert.Matches("user_cache_requests_total\\{result=\"error\"\\} [1-9]", await api.Client.GetStringAsync("/metrics"));

        await redis.RestartAsync();
        await WaitUntilHealthyAsync(api);
        (await api.Client.GetAsync($"/api/users/{id}")).Dispose();
        await using var look = await ConnectAsync(redis.Url);
        Assert.True(await look.GetDatabase().KeyExistsAsync(UserCache.Key(id)), "the cache was not filled again once Redis came back");
    }

    [OwnRedisFact]
    public async Task A_redis_that_accepts_connections_but_never_answers_does_not_hold_up_lookups()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var api = await StartApiAsync($"redis://127.0.0.1:{port}");
        var id = await CreateUserAsync(api);
        using var logs = CaptureLogs(api);

        using var read = await api.Client.GetAsync($"/api/users/{id}");
        var error = await UnhealthyRedisAsync(api);

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        // The handshake never completed, so commands fail at once (no connection) rather than after the 2 s timeout.
        var fallback = Assert.Single(CacheFailures(logs, "read"));
        Assert.StartsWith($"Redis at redis://127.0.0.1:{port}/0 ", fallback, StringComparison.Ordinal);
        Assert.DoesNotContain("did not answer within", fallback, StringComparison.Ordinal);
        Assert.StartsWith($"Redis at redis://127.0.0.1:{port}/0 ", error, StringComparison.Ordinal);
    }

    [OwnRedisFact]
    public async Task A_redis_that_hangs_mid_connection_costs_a_lookup_the_timeout_and_no_more()
    {
        using var redis = await OwnRedisServer.StartAsync();
        await using var api = await StartApiAsync(redis.Url);
        var id = await CreateUserAsync(api);
        await WaitUntilHealthyAsync(api);

        using var logs = CaptureLogs(api);
        redis.Freeze();
        try
        {
            using var read = await api.Client.GetAsync($"/api/users/{id}");
            var error = await UnhealthyRedisAsync(api);

            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            // A failed read and a failed fill, each ended by the 2 s command timeout, and nothing retried after them.
            var timedOut = $"Redis at redis://127.0.0.1:{redis.Port}/0 did not answer within 2 s";
            Assert.Equal([timedOut], CacheFailures(logs, "read"));
            Assert.Equal([timedOut], CacheFailures(logs, "fill"));
            Assert.Equal(timedOut, error);
        }
        finally
        {
            redis.Thaw();
        }
    }

    /// <summary>Health is healthy; a read fills the cache in <paramref name="database"/> (and no other); the next read is a hit.</summary>
    private async Task AssertCachesThroughAsync(OwnRedisServer redis, int database, string? caFile = null)
    {
        await using var api = await StartApiAsync(redis.Url, caFile);
        var health = await api.Client.GetFromJsonAsync<JsonElement>("/api/health/redis");
        Assert.Equal("connected", health.GetProperty("redis").GetString());

        var id = await CreateUserAsync(api);
        (await api.Client.GetAsync($"/api/users/{id}")).Dispose();
        await Database.ScalarAsync<object>("UPDATE users SET credits = 42 WHERE id = @id", ("id", id));
        var second = await api.Client.GetFromJsonAsync<JsonElement>($"/api/users/{id}");

        Assert.Equal(0, second.GetProperty("credits").GetInt32());
        await using var look = await ConnectAsync(redis.Url, caFile);
        Assert.True(await look.GetDatabase(database).KeyExistsAsync(UserCache.Key(id)));
        if (database != 0)
            Assert.False(await look.GetDatabase(0).KeyExistsAsync(UserCache.Key(id)));
        Assert.Contains("user_cache_requests_total{result=\"error\"} 0\n", await api.Client.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    /// <summary>The API's log records from now on, as its own logging writes them.</summary>
    private static FakeLoggerProvider CaptureLogs(RunningApi api)
    {
        var logs = new FakeLoggerProvider();
        api.App.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        return logs;
    }

    /// <summary>Why each of the cache's <paramref name="operation"/>s fell back to PostgreSQL, in order.</summary>
    private static List<string> CacheFailures(FakeLoggerProvider logs, string operation)
    {
        var prefix = $"User cache {operation} failed, using PostgreSQL: ";
        return [.. logs.Collector.GetSnapshot().Select(r => r.Message).Where(m => m.StartsWith(prefix, StringComparison.Ordinal)).Select(m => m[prefix.Length..])];
    }

    private static async Task<IConnectionMultiplexer> ConnectAsync(string url, string? caFile = null)
    {
        var endpoint = RedisEndpoint.Parse(url);
        if (caFile is not null)
            endpoint = endpoint with { TrustedCa = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(caFile) };
        var options = endpoint.ToConfigurationOptions();
        options.AbortOnConnectFail = true;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    private Task<RunningApi> StartApiAsync(string redisUrl, string? caFile = null)
    {
        var environment = new Dictionary<string, string> { ["DATABASE_URL"] = Database.Url, ["REDIS_URL"] = redisUrl };
        if (caFile is not null)
            environment["REDIS_CA_FILE"] = caFile;
        return RunningApi.StartAsync(environment);
    }

    private static async Task<Guid> CreateUserAsync(RunningApi api)
    {
        using var created = await api.Client.PostAsJsonAsync("/api/users", new { email = $"redis-{Guid.NewGuid():N}@example.com", password = "password-one" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static async Task<string> UnhealthyRedisAsync(RunningApi api)
    {
        using var response = await api.Client.GetAsync("/api/health/redis");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("unreachable", body.GetProperty("redis").GetString());
        return body.GetProperty("error").GetString()!;
    }

    private static async Task AssertServedFromPostgresAsync(RunningApi api)
    {
        var id = await CreateUserAsync(api);
        using var read = await api.Client.GetAsync($"/api/users/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Matches("user_cache_requests_total\\{result=\"error\"\\} [1-9]", await api.Client.GetStringAsync("/metrics"));
    }

    private static async Task WaitUntilHealthyAsync(RunningApi api)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var response = await api.Client.GetAsync("/api/health/redis");
            if (response.IsSuccessStatusCode)
                return;
            await Task.Delay(200);
        }

        Assert.Fail("the API did not reconnect to Redis within 20 s of its restart");
    }
}
