using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Slipway.Migrations;

/// <summary>
/// Versioned SQL migrations for PostgreSQL: <see cref="PlanAsync"/> reads the folder and the database and changes
/// nothing; <see cref="ApplyAsync"/> takes the database's migration lock, re-checks the plan against the history,
/// and runs each step in its own transaction together with its schema_migrations row.
/// </summary>
public static partial class Migrator
{
    /// <summary>The application_name of the migrator's sessions, shown to a migrator waiting for the lock.</summary>
    public const string ApplicationName = "slipway-migrator";

    /// <param name="databaseUrl">postgres://user:password@host:port/database (DATABASE_URL).</param>
    /// <param name="migrationsDirectory">The folder of NNNN_name.up.sql / NNNN_name.down.sql files.</param>
    /// <param name="targetVersion">null for the latest version; below the current version to migrate down.</param>
    /// <exception cref="DatabaseUrlException">The URL is malformed.</exception>
    /// <exception cref="MigrationException">The folder, the history, the target or a required extension is wrong, or the database is unreachable.</exception>
    public static async Task<MigrationPlan> PlanAsync(
        string databaseUrl, string migrationsDirectory, long? targetVersion, MigrationOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var database = DatabaseUrl.Parse(databaseUrl);
        var set = MigrationSet.Load(migrationsDirectory);
        await using var connection = await OpenAsync(database, cancellationToken);
        try
        {
            var extensions = await CheckExtensionsAsync(connection, database, options.RequiredExtensions, cancellationToken);
            var applied = await MigrationHistory.ReadAsync(connection, cancellationToken);
            var steps = MigrationSteps.Compute(set, applied, targetVersion, database);
            return new MigrationPlan(database, set, options, applied, extensions, steps);
        }
        catch (NpgsqlException failure)
        {
            throw ServerFailure(database, "planning", failure);
        }
    }

    /// <summary>
    /// Carries out <paramref name="plan"/>, logging one line per step. Under the lock the history is read again: if
    /// another migrator moved the database since the plan was made, the steps towards the plan's target are recomputed
    /// (and logged), so a second migrator of the same release finds nothing left to do.
    /// </summary>
    /// <exception cref="MigrationScriptException">A script failed; its transaction was rolled back, earlier steps stay applied.</exception>
    /// <exception cref="MigrationLockTimeoutException">Another migrator held the lock for longer than the plan's lock timeout.</exception>
    /// <exception cref="MigrationException">The history no longer matches the folder, or the database is unreachable.</exception>
    public static async Task<MigrationResult> ApplyAsync(MigrationPlan plan, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(log);
        var database = plan.Database;
        // The session is not pooled: closing it at the end, whatever happened, releases the advisory lock.
        await using var connection = await OpenAsync(database, cancellationToken);
        try
        {
            await MigrationLock.AcquireAsync(connection, database, plan.Options.LockTimeout, log, cancellationToken);
            log($"migration lock on {database.Database} acquired");
            await MigrationHistory.EnsureTableAsync(connection, cancellationToken);
            var applied = await MigrationHistory.ReadAsync(connection, cancellationToken);
            var steps = MigrationSteps.Compute(plan.Migrations, applied, plan.TargetVersion, database);
            if (steps.CurrentVersion != plan.CurrentVersion)
            {
                log($"{database.Database} moved from version {plan.CurrentVersion} to {steps.CurrentVersion} since the plan was made; " +
                    $"{steps.Migrations.Count} step(s) left to reach version {steps.TargetVersion}");
            }

            var done = new List<MigrationStepResult>();
            foreach (var migration in steps.Migrations)
            {
                var up = steps.Direction == MigrationDirection.Up;
                var version = up ? migration.Version - 1 : migration.Version;
                var elapsed = await RunInTransactionAsync(connection, database, migration, up, plan.Options.AppliedBy, version, cancellationToken);
                done.Add(new MigrationStepResult(migration.Version, migration.Name, elapsed));
                log($"{migration.Id} {(up ? "applied" : "reverted")} in {elapsed} ms");
            }

            log(steps.Migrations.Count == 0
                ? $"{database.Database} is at version {steps.TargetVersion}; nothing to do"
                : $"{database.Database} is now at version {steps.TargetVersion}");
            var isUp = steps.Direction == MigrationDirection.Up;
            return new MigrationResult(database.ToString(), steps.CurrentVersion, steps.TargetVersion, isUp ? done : [], isUp ? [] : done);
        }
        catch (NpgsqlException failure)
        {
            throw ServerFailure(database, "migrating", failure);
        }
    }

    /// <summary>A server or connection failure outside a migration script (those become <see cref="MigrationScriptException"/>).</summary>
    private static MigrationException ServerFailure(DatabaseUrl database, string activity, NpgsqlException failure) =>
        new($"PostgreSQL at {database} failed while {activity}: {database.Scrub(OneLine(failure))}", failure);

    private static string OneLine(NpgsqlException failure) => failure switch
    {
        PostgresException server => $"{server.MessageText} (SQLSTATE {server.SqlState})",
        { InnerException: { } inner } => $"{failure.Message} ({inner.Message})",
        _ => failure.Message,
    };

    private static async Task<long> RunInTransactionAsync(
        NpgsqlConnection connection, DatabaseUrl database, Migration migration, bool up, string appliedBy, long versionBefore, CancellationToken cancellationToken)
    {
        var file = up ? migration.UpFile : migration.DownFile;
        var statements = SqlScript.Split(up ? migration.UpScript : migration.DownScript!);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var stopwatch = Stopwatch.StartNew();
        foreach (var statement in statements)
        {
            // A one-command batch is sent as written, without Npgsql's parameter rewriting or statement splitting.
            await using var batch = new NpgsqlBatch(connection, transaction) { Timeout = 0 };
            batch.BatchCommands.Add(new NpgsqlBatchCommand(statement.Text));
            try
            {
                await batch.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException failure)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                throw ScriptFailure(database, file, statement, versionBefore, failure);
            }
        }

        var elapsed = stopwatch.ElapsedMilliseconds;
        if (up)
            await MigrationHistory.RecordAsync(connection, transaction, migration, appliedBy, elapsed, cancellationToken);
        else
            await MigrationHistory.ForgetAsync(connection, transaction, migration, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return elapsed;
    }

    private static MigrationScriptException ScriptFailure(DatabaseUrl database, string file, SqlStatement statement, long versionBefore, PostgresException failure)
    {
        // The server's position is 1-based, in characters, within the statement it was sent.
        int? column = null;
        var line = statement.Line;
        var where = $" in the statement at line {line}";
        if (failure.Position > 0 && failure.Position <= statement.Text.Length)
        {
            var before = statement.Text.AsSpan(0, failure.Position - 1);
            var lastBreak = before.LastIndexOf('\n');
            line += before.Count('\n');
            column = lastBreak < 0 ? statement.Column + before.Length : before.Length - lastBreak;
            where = $" at line {line}, column {column}";
        }

        var details = string.Concat(
            failure.Detail is { Length: > 0 } detail ? $"; detail: {detail}" : "",
            failure.Hint is { Length: > 0 } hint ? $"; hint: {hint}" : "");
        var message = $"{file} failed{where}: {failure.MessageText} (SQLSTATE {failure.SqlState}{details}); " +
            $"its transaction was rolled back and {database.Database} stays at version {versionBefore}";
        return new MigrationScriptException(database.Scrub(message).ReplaceLineEndings(" "), file, failure.SqlState, line, column, failure);
    }

    private static async Task<NpgsqlConnection> OpenAsync(DatabaseUrl database, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(database.ToConnectionString(ApplicationName));
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (NpgsqlException failure)
        {
            await connection.DisposeAsync();
            throw new MigrationException($"cannot connect to PostgreSQL at {database}: {database.Scrub(OneLine(failure))}", failure);
        }
    }

    private static async Task<IReadOnlyList<ExtensionStatus>> CheckExtensionsAsync(
        NpgsqlConnection connection, DatabaseUrl database, IReadOnlyList<string> required, CancellationToken cancellationToken)
    {
        if (required.Count == 0)
            return [];
        foreach (var name in required)
        {
            if (!ExtensionName().IsMatch(name))
                throw new MigrationException($"required extension name '{name}' is not a PostgreSQL extension name (lower-case letters, digits, _ and -)");
        }

        var found = new Dictionary<string, ExtensionStatus>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand(
            "SELECT name, default_version, installed_version FROM pg_available_extensions WHERE name = ANY($1)", connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = required.ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                found[reader.GetString(0)] = new ExtensionStatus(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        }

        var missing = required.Where(name => !found.ContainsKey(name)).ToList();
        if (missing.Count > 0)
        {
            var major = connection.PostgreSqlVersion.Major.ToString(CultureInfo.InvariantCulture);
            var example = missing.Contains("vector")
                ? $" (pgvector: postgresql-{major}-pgvector from apt.postgresql.org; Debian 12 itself does not package it)"
                : "";
            throw new MigrationException(
                $"required PostgreSQL extension {string.Join(", ", missing)} is not available on {database.Host}:{database.Port} " +
                $"(PostgreSQL {connection.PostgreSqlVersion}): install the package that provides it on the database server{example}, " +
                "or remove it from the environment's required extensions");
        }

        return required.Select(name => found[name]).ToList();
    }

    [GeneratedRegex("^[a-z0-9_-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex ExtensionName();
}
