using Npgsql;

namespace Slipway.Migrations;

/// <summary>The schema_migrations table: one row per applied migration, written in the migration's own transaction.</summary>
internal static class MigrationHistory
{
    public const string Table = "public.schema_migrations";

    public static async Task EnsureTableAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        const string sql = $"""
            CREATE TABLE IF NOT EXISTS {Table} (
                version      bigint      PRIMARY KEY,
                name         text        NOT NULL,
                checksum     text        NOT NULL,
                applied_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
                applied_by   text        NOT NULL,
                execution_ms bigint      NOT NULL
            )
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The applied migrations in version order; empty when the table does not exist yet (nothing is created).</summary>
    public static async Task<IReadOnlyList<AppliedMigration>> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var exists = new NpgsqlCommand($"SELECT to_regclass('{Table}') IS NOT NULL", connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
                return [];
        }

        var rows = new List<AppliedMigration>();
        await using var command = new NpgsqlCommand(
            $"SELECT version, name, checksum, applied_at, applied_by, execution_ms FROM {Table} ORDER BY version", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new AppliedMigration(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetString(4),
                reader.GetInt64(5)));
        }

        return rows;
    }

    public static async Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Migration migration, string appliedBy, long elapsedMs, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"INSERT INTO {Table} (version, name, checksum, applied_by, execution_ms) VALUES ($1, $2, $3, $4, $5)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = migration.Version });
        command.Parameters.Add(new NpgsqlParameter { Value = migration.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = migration.Checksum });
        command.Parameters.Add(new NpgsqlParameter { Value = appliedBy });
        command.Parameters.Add(new NpgsqlParameter { Value = elapsedMs });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task ForgetAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Migration migration, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"DELETE FROM {Table} WHERE version = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = migration.Version });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
