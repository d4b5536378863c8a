using System.Globalization;

namespace Slipway.Migrations;

/// <summary>
/// The pure part of planning: checks the history against the folder (no gaps, no unknown or renamed migrations,
/// no checksum drift) and lists the migrations between the current and the target version.
/// </summary>
internal sealed record MigrationSteps(long CurrentVersion, long TargetVersion, MigrationDirection Direction, IReadOnlyList<Migration> Migrations)
{
    public static MigrationSteps Compute(MigrationSet set, IReadOnlyList<AppliedMigration> applied, long? targetVersion, DatabaseUrl database)
    {
        Verify(set, applied, database);
        var current = (long)applied.Count;
        var target = targetVersion ?? set.LatestVersion;
        if (target < 0 || target > set.LatestVersion)
            throw new MigrationException($"target version {target} does not exist in {set.Directory} (versions 0 to {set.LatestVersion}; 0 reverts everything)");

        if (target > current)
        {
            var up = set.Migrations.Where(m => m.Version > current && m.Version <= target).ToList();
            return new MigrationSteps(current, target, MigrationDirection.Up, up);
        }

        if (target < current)
        {
            var down = set.Migrations.Where(m => m.Version > target && m.Version <= current).Reverse().ToList();
            var missing = down.Where(m => !m.HasDown).Select(m => m.DownFile).ToList();
            if (missing.Count > 0)
            {
                throw new MigrationException(
                    $"cannot migrate {database} down from version {current} to {target}: no down script {string.Join(", ", missing)} in {set.Directory}; " +
                    "write it (reviewed like any migration), or restore the database from a backup");
            }

            return new MigrationSteps(current, target, MigrationDirection.Down, down);
        }

        return new MigrationSteps(current, target, MigrationDirection.None, []);
    }

    private static void Verify(MigrationSet set, IReadOnlyList<AppliedMigration> applied, DatabaseUrl database)
    {
        for (var i = 0; i < applied.Count; i++)
        {
            var row = applied[i];
            if (row.Version != i + 1)
            {
                throw new MigrationException(
                    $"schema_migrations in {database} skips version {i + 1:D4} (next recorded is {row.Id}); the history was edited by hand: repair it before migrating");
            }

            var file = set.Find(row.Version);
            if (file is null)
            {
                throw new MigrationException(
                    $"{database} has {row.Id} applied but {set.Directory} has no migration {row.Version:D4}: this release is older than the database; " +
                    "deploy a release that contains it, or migrate down with that release first");
            }

            if (file.Name != row.Name)
                throw new MigrationException($"{row.Id} was applied to {database} but the folder now has {file.UpFile}: an applied migration must not be renamed");

            if (file.Checksum != row.Checksum)
            {
                var when = row.AppliedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                throw new MigrationException(
                    $"checksum drift: {file.UpFile} changed after it was applied to {database} on {when} by {row.AppliedBy} " +
                    $"(recorded sha256 {row.Checksum[..Math.Min(12, row.Checksum.Length)]}…, file sha256 {file.Checksum[..12]}…); " +
                    "restore the applied text and put the change in a new migration");
            }
        }
    }
}
