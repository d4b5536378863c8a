using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using Api.Tests.Support;

namespace Api.Tests;

public sealed class HealthEndpointTests(ServiceFixture service) : IClassFixture<ServiceFixture>
{
    private static readonly string BuiltVersion =
        typeof(ApiApplication).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

    [ServiceFact]
    public async Task Health_is_healthy_with_the_stamped_version_and_a_current_timestamp()
    {
        using var response = await service.Client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("healthy", body.GetProperty("status").GetString());
        Assert.Equal(BuiltVersion, body.GetProperty("version").GetString());
        Assert.InRange(body.GetProperty("timestamp").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [ServiceFact]
    public async Task Version_reports_the_stamped_version()
    {
        var body = await service.Client.GetFromJsonAsync<JsonElement>("/version");

        Assert.Equal(BuiltVersion, body.GetProperty("version").GetString());
        Assert.StartsWith(".NET 10", body.GetProperty("runtime").GetString(), StringComparison.Ordinal);
    }

    [ServiceFact]
    public async Task Database_and_redis_checks_are_healthy_against_the_real_servers()
    {
        var db = await service.Client.GetFromJsonAsync<JsonElement>("/api/health/db");
        var redis = await service.Client.GetFromJsonAsync<JsonElement>("/api/health/redis");

        Assert.Equal("healthy", db.GetProperty("status").GetString());
        Assert.Equal("connected", db.GetProperty("database").GetString());
        Assert.Equal("healthy", redis.GetProperty("status").GetString());
        Assert.Equal("connected", redis.GetProperty("redis").GetString());
    }

    [Fact]
    public async Task Unreachable_dependencies_answer_503_naming_the_dependency_while_liveness_stays_up()
    {
        int deadDb = FreePort.Next(), deadRedis = FreePort.Next();
        await using var api = await RunningApi.StartAsync(new Dictionary<string, string>
        {
            ["DATABASE_URL"] = $"postgres://nobody:secret-pw@127.0.0.1:{deadDb}/none",
            ["REDIS_URL"] = $"redis://127.0.0.1:{deadRedis}",
        });

        using var db = await api.Client.GetAsync("/api/health/db");
        using var redis = await api.Client.GetAsync("/api/health/redis");
        using var live = await api.Client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, db.StatusCode);
        var dbBody = await db.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("unhealthy", dbBody.GetProperty("status").GetString());
        Assert.Equal("unreachable", dbBody.GetProperty("database").GetString());
        Assert.DoesNotContain("secret-pw", dbBody.GetProperty("error").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, redis.StatusCode);
        var redisBody = await redis.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("unreachable", redisBody.GetProperty("redis").GetString());
        Assert.Contains($"127.0.0.1:{deadRedis}", redisBody.GetProperty("error").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [ServiceFact]
    public async Task Request_id_is_echoed_when_sane_and_generated_otherwise()
    {
        using var given = new HttpRequestMessage(HttpMethod.Get, "/health") { Headers = { { "X-Request-Id", "abc-123" } } };
        using var echoed = await service.Client.SendAsync(given);
        using var generated = await service.Client.GetAsync("/health");
        using var tooLong = new HttpRequestMessage(HttpMethod.Get, "/health") { Headers = { { "X-Request-Id", new string('x', 200) } } };
        using var replaced = await service.Client.SendAsync(tooLong);

        Assert.Equal("abc-123", Assert.Single(echoed.Headers.GetValues("X-Request-Id")));
        Assert.Matches("^[0-9a-f]{32}$", Assert.Single(generated.Headers.GetValues("X-Request-Id")));
        Assert.Matches("^[0-9a-f]{32}$", Assert.Single(replaced.Headers.GetValues("X-Request-Id")));
    }

    [ServiceFact]
    public async Task Metrics_count_requests_by_route_template_and_status_in_prometheus_text()
    {
        var id = Guid.NewGuid();
        (await service.Client.GetAsync($"/api/users/{id}")).Dispose();
        (await service.Client.GetAsync("/no/such/route")).Dispose();

        using var response = await service.Client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Contains("# TYPE http_requests_total counter\n", text, StringComparison.Ordinal);
        Assert.Matches("""http_requests_total\{method="GET",route="/api/users/\{id:guid\}",status="404"\} [1-9]""", text);
        Assert.Matches("""http_requests_total\{method="GET",route="unmatched",status="404"\} [1-9]""", text);
        Assert.DoesNotContain(id.ToString(), text, StringComparison.Ordinal);
        Assert.Matches("""http_request_duration_seconds_bucket\{method="GET",route="/api/users/\{id:guid\}",le="\+Inf"\} [1-9]""", text);
        Assert.Contains("# TYPE user_cache_requests_total counter\n", text, StringComparison.Ordinal);
    }

    [ServiceFact]
    public async Task Test_endpoints_are_not_exposed_by_default()
    {
        using var response = await service.Client.GetAsync("/api/test/slow?seconds=0");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
