namespace Slipway.Migrations;

/// <summary>How to migrate: settings that come from the environment's configuration, not from the folder.</summary>
public sealed record MigrationOptions
{
    public static MigrationOptions Default { get; } = new();

    /// <summary>
    /// Extensions that must be available on the server before any migration runs (e.g. "pgcrypto"). Empty by
    /// default. pgvector ("vector") is untested: Debian 12's PostgreSQL 15 does not package it.
    /// </summary>
    public IReadOnlyList<string> RequiredExtensions { get; init; } = [];

    /// <summary>How long to wait for another migrator to release the database's migration lock.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Recorded in schema_migrations.applied_by.</summary>
    public string AppliedBy { get; init; } = $"{Environment.UserName}@{Environment.MachineName}";
}
