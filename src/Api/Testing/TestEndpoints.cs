using Npgsql;

namespace Api.Testing;

/// <summary>
/// Endpoints that exist only when API_ENABLE_TEST_ENDPOINTS=1 (never in the shipped configuration):
/// GET /api/test/slow?seconds=N holds a request open on a real PostgreSQL pg_sleep, so tests can
/// prove that shutdown lets in-flight requests finish.
/// </summary>
public static class TestEndpoints
{
    private const double MaxSeconds = 20;

    public static void MapTestEndpoints(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/api/test/slow", async (double? seconds, NpgsqlDataSource database) =>
        {
            var delay = Math.Clamp(seconds ?? 1, 0, MaxSeconds);
            await using var command = database.CreateCommand("SELECT pg_sleep(@seconds)");
            command.Parameters.AddWithValue("seconds", delay);
            // Deliberately not bound to RequestAborted: the point is to outlive the shutdown signal.
            await command.ExecuteNonQueryAsync(CancellationToken.None);
            return Results.Ok(new { Slept = delay });
        });
}
