using Slipway.Migrations;

namespace Slipway.Delivery.Tests.Database;

/// <summary>The `migrate` command (what an app image runs in the release phase) against the real test PostgreSQL.</summary>
public sealed class MigrateCommandTests
{
    [PostgresFact]
    public async Task A_failing_migration_is_one_line_on_stderr_exit_1_and_no_schema_version_line_while_the_steps_before_it_stay_applied()
    {
        await using var db = await TestDatabase.CreateAsync();
        using var folder = MigrationFolder.Widgets()
            .Add("0004_add_colour.up.sql", "ALTER TABLE widgets ADD COLUMN colour text;\nUPDATE missing_table SET x = 1;\n");
        var output = new StringWriter();
        var error = new StringWriter();

        var exitCode = await MigrateCommand.RunAsync([], Variables(db.Url), folder.Path, output, error);

        Assert.Equal(MigrateCommand.Failed, exitCode);
        Assert.Equal(
            $"migrate failed: 0004_add_colour.up.sql failed at line 2, column 8: relation \"missing_table\" does not exist (SQLSTATE 42P01); its transaction was rolled back and {db.Name} stays at version 3{Environment.NewLine}",
            error.ToString());
        Assert.Contains("0003_index_name applied in ", output.ToString(), StringComparison.Ordinal);
        Assert.Null(SchemaVersionLine.Find(output.ToString()));
        Assert.Equal(["3"], await db.RowsAsync("SELECT max(version) FROM schema_migrations"));
    }

    [PostgresFact]
    public async Task The_last_line_is_the_schema_version_reached_up_or_down()
    {
        await using var db = await TestDatabase.CreateAsync();
        using var folder = MigrationFolder.Widgets();
        var output = new StringWriter();

        Assert.Equal(0, await MigrateCommand.RunAsync(["--to", "2"], Variables(db.Url), folder.Path, output, TextWriter.Null));
        Assert.Equal(0, await MigrateCommand.RunAsync([], Variables(db.Url), folder.Path, output, TextWriter.Null));
        Assert.Equal(3, SchemaVersionLine.Find(output.ToString()));
        Assert.Equal(0, await MigrateCommand.RunAsync(["--to", "1"], Variables(db.Url), folder.Path, output, TextWriter.Null));

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["schema version 2", "schema version 3", "schema version 1"], lines.Where(l => l.StartsWith("schema version", StringComparison.Ordinal)));
        Assert.Equal("schema version 1", lines[^1]);
        Assert.Equal(1, SchemaVersionLine.Find(output.ToString()));
    }

    [Fact]
    public void The_schema_version_line_is_found_only_whole_and_the_last_one_wins()
    {
        Assert.Null(SchemaVersionLine.Find("migration lock acquired\nslipway is now at version 3\n"));
        Assert.Null(SchemaVersionLine.Find("schema version three\nschema version -1\n"));
        Assert.Equal(12, SchemaVersionLine.Find("schema version 4\r\n0012_x applied in 3 ms\r\nschema version 12\r\n"));
    }

    private static Func<string, string?> Variables(string databaseUrl) =>
        name => name == MigrateCommand.DatabaseUrlVariable ? databaseUrl : null;
}
