namespace Api.Tests.Support;

/// <summary>A fact that needs both the test PostgreSQL and the test Redis server.</summary>
public sealed class ServiceFactAttribute : FactAttribute
{
    public ServiceFactAttribute() => Skip = RealServers.SkipUnless(
        RealServers.TcpReachable(RealServers.DatabaseUrl) && RealServers.TcpReachable(RealServers.RedisUrl),
        "PostgreSQL and Redis (SLIPWAY_TEST_DATABASE_URL, SLIPWAY_TEST_REDIS_URL)");
}
