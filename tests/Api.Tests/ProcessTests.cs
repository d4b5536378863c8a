using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Api.Tests.Support;
using Npgsql;

namespace Api.Tests;

/// <summary>The service as a real process: start-up validation, JSON logs, and shutdown on SIGTERM.</summary>
public class ProcessTests
{
    [Fact]
    public async Task Missing_configuration_exits_2_with_one_line_per_variable_and_no_stack_trace()
    {
        using var api = ApiProcess.Start(new Dictionary<string, string> { ["PORT"] = "http" });

        Assert.Equal(2, await api.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(
            [
                "configuration error: DATABASE_URL is not set; expected postgres://user:password@host:5432/database",
                "configuration error: REDIS_URL is not set; expected redis://[user:password@]host[:port][/db], or rediss:// for TLS",
                "configuration error: PORT is 'http', expected a TCP port number between 1 and 65535",
            ],
            api.Stderr);
        Assert.Empty(api.Stdout);
    }

    [ServiceFact]
    public async Task Sigterm_stops_accepting_lets_the_in_flight_request_finish_then_exits_0()
    {
        var port = FreePort.Next();
        var requestId = $"shutdown-{Guid.NewGuid():N}";
        using var api = ApiProcess.Start(
            new Dictionary<string, string>
            {
                ["DATABASE_URL"] = RealServers.DatabaseUrl!,
                ["REDIS_URL"] = RealServers.RedisUrl!,
                ["API_ENABLE_TEST_ENDPOINTS"] = "1",
            },
            "--urls", $"http://127.0.0.1:{port}");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        await WaitUntilHealthyAsync(client, api);

        using var slowRequest = new HttpRequestMessage(HttpMethod.Get, "/api/test/slow?seconds=10") { Headers = { { "X-Request-Id", requestId } } };
        var inFlight = client.SendAsync(slowRequest);
        await WaitUntilSleepingInPostgresAsync();

        api.Terminate();
        await WaitUntilRefusedAsync(port);
        Assert.False(inFlight.IsCompleted, "the slow request should still be running when new connections are refused");

        using var response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(10, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("slept").GetDouble());
        Assert.Equal(0, await api.WaitForExitAsync(TimeSpan.FromSeconds(20)));

        var accessLog = api.Stdout.Select(Parse).OfType<JsonElement>().Single(line =>
            line.GetProperty("Category").GetString() == "Api.Observability.RequestTracking" &&
            line.GetProperty("Scopes").EnumerateArray().Any(s => s.TryGetProperty("RequestId", out var id) && id.GetString() == requestId));
        Assert.Equal(200, accessLog.GetProperty("State").GetProperty("StatusCode").GetInt32());
        Assert.Equal("/api/test/slow", accessLog.GetProperty("State").GetProperty("Route").GetString());
        Assert.DoesNotContain(api.Stdout, line => line.Contains("slipway:slipway", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Port_is_honoured_when_no_urls_are_given()
    {
        var port = FreePort.Next();
        using var api = ApiProcess.Start(new Dictionary<string, string>
        {
            ["DATABASE_URL"] = "postgres://u:p@127.0.0.1:1/unused",
            ["REDIS_URL"] = "redis://127.0.0.1:1",
            ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        await WaitUntilHealthyAsync(client, api);
        api.Terminate();

        Assert.Equal(0, await api.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    private static JsonElement? Parse(string line)
    {
        try
        {
            return JsonSerializer.Deserialize<JsonElement>(line);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static async Task WaitUntilHealthyAsync(HttpClient client, ApiProcess api)
    {
        for (var attempt = 0; attempt < 150; attempt++)
        {
            try
            {
                using var response = await client.GetAsync("/health");
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
        }

        Assert.Fail("the API did not become healthy: " + string.Join('\n', api.Stderr.Concat(api.Stdout)));
    }

    private static async Task WaitUntilSleepingInPostgresAsync()
    {
        await using var connection = new NpgsqlConnection(Api.Configuration.ApiSettings.ParseDatabaseUrl(RealServers.DatabaseUrl!));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep%'", connection);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if ((long)(await command.ExecuteScalarAsync())! > 0)
                return;
            await Task.Delay(50);
        }

        Assert.Fail("the slow request never reached PostgreSQL");
    }

    private static async Task WaitUntilRefusedAsync(int port)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            if (!RealServers.TcpReachable($"http://127.0.0.1:{port}"))
                return;
            await Task.Delay(50);
        }

        Assert.Fail("the API still accepted connections 10 s after SIGTERM");
    }
}
