namespace Api.Tests.Support;

/// <summary>A fact that needs both the test PostgreSQL and the test Redis server.</summary>
public sealed class ServiceFactAttribute : RealServerFactAttribute
{
    public ServiceFactAttribute() => Needs(
        RealServers.TcpReachable(RealServers.DatabaseUrl) && RealServers.TcpReachable(RealServers.RedisUrl),
        "PostgreSQL and Redis (SLIPWAY_TEST_DATABASE_URL, SLIPWAY_TEST_REDIS_URL)", RealServers.StartAll + " (or bash .ci/postgres.sh start and bash .ci/redis.sh start)");
}
