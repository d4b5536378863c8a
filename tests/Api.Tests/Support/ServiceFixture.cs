using Api.Redis;
using StackExchange.Redis;

namespace Api.Tests.Support;

/// <summary>A migrated database of its own, the real Redis, and the service running against both.</summary>
public sealed class ServiceFixture : IAsyncLifetime
{
    private TestDatabase? database;
    private RunningApi? api;
    private IConnectionMultiplexer? redis;

    public TestDatabase Database => database ?? throw NotRunning();

    public HttpClient Client => (api ?? throw NotRunning()).Client;

    /// <summary>A separate connection to the same Redis, to look at what the service cached.</summary>
    public IDatabase Redis => (redis ?? throw NotRunning()).GetDatabase();

    /// <summary>The value cached under <paramref name="key"/>, or null.</summary>
    public async Task<string?> CachedAsync(string key) => await Redis.StringGetAsync(key);

    public async Task InitializeAsync()
    {
        if (!RealServers.TcpReachable(RealServers.DatabaseUrl) || !RealServers.TcpReachable(RealServers.RedisUrl))
            return;
        database = await TestDatabase.CreateAsync();
        redis = await ConnectionMultiplexer.ConnectAsync(RedisEndpoint.Parse(RealServers.RedisUrl!).ToConfigurationOptions());
        api = await RunningApi.StartAsync(new Dictionary<string, string>
        {
            ["DATABASE_URL"] = database.Url,
            ["REDIS_URL"] = RealServers.RedisUrl!,
        });
    }

    public async Task DisposeAsync()
    {
        if (api is not null)
            await api.DisposeAsync();
        if (redis is not null)
            await redis.DisposeAsync();
        if (database is not null)
            await database.DisposeAsync();
    }

    private static InvalidOperationException NotRunning() =>
        new("PostgreSQL or Redis is not reachable (SLIPWAY_TEST_DATABASE_URL / SLIPWAY_TEST_REDIS_URL); start them with .ci/postgres.sh and .ci/redis.sh");
}
