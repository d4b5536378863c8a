using System.Globalization;
using Npgsql;

namespace Slipway.Migrations;

/// <summary>
/// The session-level advisory lock that keeps two migrators of one database from interleaving. Advisory locks are
/// scoped to a database, so migrators of different databases never wait for each other.
/// </summary>
public static class MigrationLock
{
    /// <summary>The fixed advisory lock key: "SLIPWAY1" as ASCII.</summary>
    public const long Key = 0x534C_4950_5741_5931;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>Takes the lock, polling pg_try_advisory_lock until <paramref name="timeout"/> has passed.</summary>
    /// <exception cref="MigrationLockTimeoutException">Another session held the lock for the whole timeout.</exception>
    internal static async Task AcquireAsync(NpgsqlConnection connection, DatabaseUrl database, TimeSpan timeout, Action<string> log, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var announced = false;
        while (!await TryAcquireAsync(connection, cancellationToken))
        {
            if (DateTimeOffset.UtcNow >= deadline)
            {
                var holder = await DescribeHolderAsync(connection, cancellationToken) ?? "(its session ended just now)";
                throw new MigrationLockTimeoutException(
                    $"another migration holds the lock on {database.Database} at {database.Host}:{database.Port} {holder}; " +
                    $"waited {timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s; retry later");
            }

            if (!announced)
            {
                log($"waiting up to {timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s for the migration lock on {database.Database}, held {await DescribeHolderAsync(connection, cancellationToken) ?? "by a session that just ended"}");
                announced = true;
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    private static async Task<bool> TryAcquireAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = Key });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>"since 2025-01-01 10:00:00Z (pid 42, slipway-migrator)": when the holder's session started; null if it just ended.</summary>
    private static async Task<string?> DescribeHolderAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // A bigint advisory key shows in pg_locks as classid = high 32 bits, objid = low 32 bits, objsubid = 1.
        await using var command = new NpgsqlCommand(
            """
            SELECT a.pid, a.application_name, a.backend_start
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid::bigint = $1 AND l.objid::bigint = $2
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = Key >> 32 });
        command.Parameters.Add(new NpgsqlParameter { Value = Key & 0xFFFF_FFFF });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;

        var since = reader.IsDBNull(2)
            ? "an unknown time"
            : reader.GetFieldValue<DateTimeOffset>(2).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var application = reader.IsDBNull(1) || reader.GetString(1).Length == 0 ? "no application name" : reader.GetString(1);
        return $"since {since} (pid {reader.GetInt32(0)}, {application})";
    }
}
