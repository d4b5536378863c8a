namespace Slipway.Delivery.Tests.Database;

/// <summary>A temporary migrations folder of test SQL files, deleted on dispose.</summary>
internal sealed class MigrationFolder : IDisposable
{
    public MigrationFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"slipway-migrations-{Guid.NewGuid():N}");

    public MigrationFolder Add(string file, string sql)
    {
        File.WriteAllText(System.IO.Path.Combine(Path, file), sql);
        return this;
    }

    public MigrationFolder Remove(string file)
    {
        File.Delete(System.IO.Path.Combine(Path, file));
        return this;
    }

    public IEnumerable<string> UpFiles() =>
        Directory.EnumerateFiles(Path, "*.up.sql").Select(file => System.IO.Path.GetFileName(file)).Order(StringComparer.Ordinal);

    /// <summary>0001 creates widgets, 0002 adds a column, 0003 an index; each with a down script.</summary>
    public static MigrationFolder Widgets() => new MigrationFolder()
        .Add("0001_create_widgets.up.sql", "CREATE TABLE widgets (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    name text NOT NULL\n);\n")
        .Add("0001_create_widgets.down.sql", "DROP TABLE widgets;\n")
        .Add("0002_add_price.up.sql", "ALTER TABLE widgets ADD COLUMN price_cents integer NOT NULL DEFAULT 0;\n")
        .Add("0002_add_price.down.sql", "ALTER TABLE widgets DROP COLUMN price_cents;\n")
        .Add("0003_index_name.up.sql", "CREATE UNIQUE INDEX widgets_name ON widgets (name);\n")
        .Add("0003_index_name.down.sql", "DROP INDEX widgets_name;\n");

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
