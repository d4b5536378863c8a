using Api.Redis;
using Npgsql;

namespace Api.Health;

/// <summary>Liveness, version and dependency health: GET /health, /version, /api/health/db, /api/health/redis.</summary>
public static partial class HealthEndpoints
{
    private static readonly TimeSpan DependencyTimeout = TimeSpan.FromSeconds(3);

    public static void MapHealthEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", (TimeProvider clock) =>
            Results.Ok(new { Status = "healthy", Version = AppVersion.Current, Timestamp = clock.GetUtcNow() }));

        routes.MapGet("/version", () =>
            Results.Ok(new { Version = AppVersion.Current, Runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription }));

        routes.MapGet("/api/health/db", async (NpgsqlDataSource database, ILogger<NpgsqlDataSource> logger, CancellationToken cancellationToken) =>
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(DependencyTimeout);
                await using var command = database.CreateCommand("SELECT 1");
                var one = await command.ExecuteScalarAsync(timeout.Token);
                return one is 1
                    ? Results.Ok(new { Status = "healthy", Database = "connected" })
                    : Unhealthy("database", $"SELECT 1 returned {one}");
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
            {
                LogUnhealthy(logger, "database", e.Message);
                return Unhealthy("database", e is OperationCanceledException ? $"no answer within {DependencyTimeout.TotalSeconds} s" : e.Message);
            }
        });

        routes.MapGet("/api/health/redis", async (RedisConnection redis, ILogger<RedisConnection> logger, CancellationToken cancellationToken) =>
        {
            try
            {
                await redis.Database.PingAsync().WaitAsync(cancellationToken);
                return Results.Ok(new { Status = "healthy", Redis = "connected" });
            }
            catch (Exception e) when (RedisConnection.IsFailure(e))
            {
                var reason = redis.Describe(e);
                LogUnhealthy(logger, "redis", reason);
                return Unhealthy("redis", reason);
            }
        });
    }

    private static IResult Unhealthy(string dependency, string error) =>
        Results.Json(
            new Dictionary<string, string> { ["status"] = "unhealthy", [dependency] = "unreachable", ["error"] = error },
            statusCode: StatusCodes.Status503ServiceUnavailable);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health check failed for {Dependency}: {Reason}")]
    private static partial void LogUnhealthy(ILogger logger, string dependency, string reason);
}
