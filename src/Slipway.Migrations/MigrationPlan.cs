namespace Slipway.Migrations;

public enum MigrationDirection
{
    None,
    Up,
    Down,
}

/// <summary>A row of schema_migrations.</summary>
public sealed record AppliedMigration(long Version, string Name, string Checksum, DateTimeOffset AppliedAt, string AppliedBy, long ExecutionMs)
{
    public string Id => $"{Version:D4}_{Name}";
}

/// <summary>A required extension as the server reports it: available, and created in this database or not.</summary>
public sealed record ExtensionStatus(string Name, string DefaultVersion, string? InstalledVersion);

/// <summary>
/// What <see cref="Migrator.ApplyAsync"/> would do, computed without changing the database: the migrations to apply
/// (in order) or to revert (newest first) to get from <see cref="CurrentVersion"/> to <see cref="TargetVersion"/>.
/// </summary>
public sealed class MigrationPlan
{
    internal MigrationPlan(
        DatabaseUrl database,
        MigrationSet migrations,
        MigrationOptions options,
        IReadOnlyList<AppliedMigration> applied,
        IReadOnlyList<ExtensionStatus> extensions,
        MigrationSteps steps)
    {
        Database = database;
        Migrations = migrations;
        Options = options;
        Applied = applied;
        Extensions = extensions;
        CurrentVersion = steps.CurrentVersion;
        TargetVersion = steps.TargetVersion;
        Direction = steps.Direction;
        Steps = steps.Migrations;
    }

    /// <summary>The database; its ToString leaves the password out.</summary>
    public DatabaseUrl Database { get; }

    public MigrationSet Migrations { get; }

    public MigrationOptions Options { get; }

    public IReadOnlyList<AppliedMigration> Applied { get; }

    public IReadOnlyList<ExtensionStatus> Extensions { get; }

    public long CurrentVersion { get; }

    public long TargetVersion { get; }

    public MigrationDirection Direction { get; }

    /// <summary>Migrations to apply (ascending) or revert (descending), per <see cref="Direction"/>.</summary>
    public IReadOnlyList<Migration> Steps { get; }

    /// <summary>One line per fact and per step, for a dry run.</summary>
    public IEnumerable<string> Describe()
    {
        yield return $"database {Database} is at version {CurrentVersion}; migrations in {Migrations.Directory} go up to {Migrations.LatestVersion}";
        foreach (var extension in Extensions)
        {
            yield return extension.InstalledVersion is { } installed
                ? $"extension {extension.Name} {installed} is installed"
                : $"extension {extension.Name} {extension.DefaultVersion} is available (not yet created in this database)";
        }

        if (Steps.Count == 0)
        {
            yield return $"nothing to do: target version {TargetVersion} is the current version";
            yield break;
        }

        var verb = Direction == MigrationDirection.Up ? "apply" : "revert";
        yield return $"{Steps.Count} to {verb} to reach version {TargetVersion}:";
        foreach (var step in Steps)
            yield return $"  {verb} {(Direction == MigrationDirection.Up ? step.UpFile : step.DownFile)}";
    }
}

/// <summary>What ApplyAsync did.</summary>
public sealed record MigrationResult(
    string Database,
    long FromVersion,
    long FinalVersion,
    IReadOnlyList<MigrationStepResult> Applied,
    IReadOnlyList<MigrationStepResult> Reverted);

public sealed record MigrationStepResult(long Version, string Name, long ElapsedMs)
{
    public string Id => $"{Version:D4}_{Name}";
}
