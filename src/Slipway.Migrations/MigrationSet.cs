using System.Globalization;
using System.Text.RegularExpressions;

namespace Slipway.Migrations;

/// <summary>
/// The migrations of one folder, validated: every file is NNNN_name.up.sql or NNNN_name.down.sql, versions run
/// 1, 2, 3… without gaps or duplicates, every down script has its up script, and no script controls its own transaction. A missing down script is allowed
/// (and listed in <see cref="WithoutDown"/>); migrating down across it is refused. An up script may mark itself
/// backward-compatible on its first line (<see cref="CompatibilityMarker"/>).
/// </summary>
public sealed partial class MigrationSet
{
    private MigrationSet(string directory, IReadOnlyList<Migration> migrations)
    {
        Directory = directory;
        Migrations = migrations;
    }

    public string Directory { get; }

    /// <summary>In version order; Migrations[i].Version == i + 1.</summary>
    public IReadOnlyList<Migration> Migrations { get; }

    public long LatestVersion => Migrations.Count;

    public IReadOnlyList<Migration> WithoutDown => Migrations.Where(m => !m.HasDown).ToList();

    public Migration? Find(long version) => version >= 1 && version <= Migrations.Count ? Migrations[(int)version - 1] : null;

    /// <exception cref="MigrationException">The folder is missing or its files break a rule; the message names the file.</exception>
    public static MigrationSet Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!System.IO.Directory.Exists(directory))
            throw new MigrationException($"migrations folder {directory} does not exist");

        var ups = new SortedDictionary<long, (string Name, string Path)>();
        var downs = new Dictionary<long, (string Name, string Path)>();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, "*.sql").Order(StringComparer.Ordinal))
        {
            var file = Path.GetFileName(path);
            var match = FileName().Match(file);
            if (!match.Success)
                throw new MigrationException($"{file} in {directory} is not named NNNN_name.up.sql or NNNN_name.down.sql (lower-case name, digits and _)");
            var version = long.Parse(match.Groups["version"].Value, CultureInfo.InvariantCulture);
            var name = match.Groups["name"].Value;
            var target = match.Groups["direction"].Value == "up" ? ups : (IDictionary<long, (string Name, string Path)>)downs;
            if (target.TryGetValue(version, out var other))
                throw new MigrationException($"duplicate migration version {version:D4} in {directory}: {Path.GetFileName(other.Path)} and {file}");
            target[version] = (name, path);
        }

        foreach (var (version, down) in downs)
        {
            if (!ups.TryGetValue(version, out var up))
                throw new MigrationException($"{Path.GetFileName(down.Path)} has no matching {version:D4}_{down.Name}.up.sql in {directory}");
            if (up.Name != down.Name)
                throw new MigrationException($"{Path.GetFileName(down.Path)} does not match {Path.GetFileName(up.Path)}: an up and down pair share the same name");
        }

        var migrations = new List<Migration>();
        foreach (var (version, up) in ups)
        {
            var expected = migrations.Count + 1;
            if (version != expected)
            {
                var after = migrations.Count == 0 ? "at the start" : $"after {migrations[^1].UpFile}";
                throw new MigrationException($"migration version {expected:D4} is missing in {directory} ({after}, next is {Path.GetFileName(up.Path)}): versions must run 0001, 0002, … without gaps");
            }

            var upScript = File.ReadAllText(up.Path);
            if (string.IsNullOrWhiteSpace(upScript))
                throw new MigrationException($"{Path.GetFileName(up.Path)} is empty");
            var downScript = downs.TryGetValue(version, out var down) ? File.ReadAllText(down.Path) : null;
            if (downScript is not null && string.IsNullOrWhiteSpace(downScript))
                throw new MigrationException($"{Path.GetFileName(down.Path)} is empty: write the statements that undo {Path.GetFileName(up.Path)}, or delete it if the migration cannot be reverted");
            CompatibilityMarker.Validate(Path.GetFileName(up.Path), upScript);
            RefuseTransactionControl(Path.GetFileName(up.Path), upScript);
            if (downScript is not null)
                RefuseTransactionControl(Path.GetFileName(down.Path), downScript);
            migrations.Add(new Migration(version, up.Name, up.Path, upScript, downScript is null ? null : down.Path, downScript));
        }

        return new MigrationSet(directory, migrations);
    }

    /// <summary>
    /// The migrator runs each script in its own transaction; a COMMIT inside would let a later failure leave half a
    /// migration behind, so such a script is refused before anything runs.
    /// </summary>
    private static void RefuseTransactionControl(string file, string script)
    {
        if (SqlScript.Split(script).FirstOrDefault(s => s.IsTransactionControl) is { } control)
        {
            throw new MigrationException(
                $"{file} line {control.Line} has '{$"{control.FirstWord} {control.SecondWord}".TrimEnd()}': the migrator runs each script in its own transaction, " +
                "so scripts must not begin, commit or roll back one; remove it (statements that cannot run in a transaction belong outside migrations)");
        }
    }

    [GeneratedRegex(@"^(?<version>[0-9]{4,9})_(?<name>[a-z0-9_]+)\.(?<direction>up|down)\.sql$", RegexOptions.CultureInvariant)]
    private static partial Regex FileName();
}
