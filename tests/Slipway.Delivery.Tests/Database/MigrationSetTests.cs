using Slipway.Migrations;

namespace Slipway.Delivery.Tests.Database;

public sealed class MigrationSetTests
{
    [Fact]
    public void Loads_pairs_in_version_order_and_records_a_missing_down_script()
    {
        using var folder = MigrationFolder.Widgets().Remove("0002_add_price.down.sql").Add("README.md", "not a migration");

        var set = MigrationSet.Load(folder.Path);

        Assert.Equal(["0001_create_widgets", "0002_add_price", "0003_index_name"], set.Migrations.Select(m => m.Id));
        Assert.Equal(3, set.LatestVersion);
        Assert.Equal(["0002_add_price"], set.WithoutDown.Select(m => m.Id));
        Assert.Equal("DROP INDEX widgets_name;\n", set.Find(3)!.DownScript);
        Assert.Null(set.Find(4));
    }

    [Fact]
    public void The_checksum_is_the_sha256_of_the_up_script_whatever_its_line_endings()
    {
        // sha256("SELECT 1;\n"), computed with sha256sum.
        const string expected = "b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd";
        using var folder = new MigrationFolder().Add("0001_a.up.sql", "SELECT 1;\r\n");

        Assert.Equal(expected, MigrationSet.Load(folder.Path).Migrations[0].Checksum);
    }

    [Fact]
    public void A_first_line_marker_makes_a_migration_backward_compatible_and_is_not_part_of_its_checksum()
    {
        using var folder = new MigrationFolder()
            .Add("0001_a.up.sql", "SELECT 1;\n")
            .Add("0002_b.up.sql", "-- slipway: backward-compatible\r\nSELECT 1;\r\n")
            .Add("0003_c.up.sql", "SELECT 1;\n-- slipway: backward-compatible\n");

        var migrations = MigrationSet.Load(folder.Path).Migrations;

        Assert.Equal([false, true, false], migrations.Select(m => m.BackwardCompatible));
        Assert.Equal(migrations[0].Checksum, migrations[1].Checksum);
        Assert.Equal("-- slipway: backward-compatible\r\nSELECT 1;\r\n", migrations[1].UpScript);
    }

    [Theory]
    [InlineData("-- slipway: backwards-compatible")]
    [InlineData("-- Slipway: compatible")]
    public void A_marker_with_a_typo_is_refused_rather_than_read_as_unmarked(string line)
    {
        using var folder = new MigrationFolder().Add("0001_a.up.sql", line + "\nSELECT 1;\n");

        var refused = Assert.Throws<MigrationException>(() => MigrationSet.Load(folder.Path));

        Assert.Equal($"0001_a.up.sql line 1 is '{line}': the only marker is '-- slipway: backward-compatible'", refused.Message);
    }

    [Fact]
    public void The_migration_that_creates_users_is_marked_and_keeps_the_checksum_databases_recorded()
    {
        var first = MigrationSet.Load(Images.RepositoryFiles.PathOf("src/Api/Migrations")).Find(1)!;

        Assert.True(first.BackwardCompatible);
        // sha256 of 0001_create_users.up.sql as applied before the marker was added (git show 1d7b960:src/Api/Migrations/0001_create_users.up.sql | sha256sum).
        Assert.Equal("5bab7ae22679c8da11b5cb8ed9113fc7e8bc231f52db031b7013431be8386df4", first.Checksum);
    }

    [Theory]
    [InlineData(new[] { "0001_a.up.sql", "0003_c.up.sql" }, "migration version 0002 is missing in {dir} (after 0001_a.up.sql, next is 0003_c.up.sql): versions must run 0001, 0002, … without gaps")]
    [InlineData(new[] { "0002_b.up.sql" }, "migration version 0001 is missing in {dir} (at the start, next is 0002_b.up.sql): versions must run 0001, 0002, … without gaps")]
    [InlineData(new[] { "0001_a.up.sql", "0001_b.up.sql" }, "duplicate migration version 0001 in {dir}: 0001_a.up.sql and 0001_b.up.sql")]
    [InlineData(new[] { "0001_a.up.sql", "0002_b.down.sql" }, "0002_b.down.sql has no matching 0002_b.up.sql in {dir}")]
    [InlineData(new[] { "0001_a.up.sql", "0001_b.down.sql" }, "0001_b.down.sql does not match 0001_a.up.sql: an up and down pair share the same name")]
    [InlineData(new[] { "0001_a.up.sql", "2_b.up.sql" }, "2_b.up.sql in {dir} is not named NNNN_name.up.sql or NNNN_name.down.sql (lower-case name, digits and _)")]
    [InlineData(new[] { "0001_Add-Users.up.sql" }, "0001_Add-Users.up.sql in {dir} is not named NNNN_name.up.sql or NNNN_name.down.sql (lower-case name, digits and _)")]
    public void A_broken_folder_is_an_error_naming_the_file(string[] files, string expected)
    {
        using var folder = new MigrationFolder();
        foreach (var file in files)
            folder.Add(file, "SELECT 1;\n");

        var failure = Assert.Throws<MigrationException>(() => MigrationSet.Load(folder.Path));

        Assert.Equal(expected.Replace("{dir}", folder.Path, StringComparison.Ordinal), failure.Message);
    }

    [Fact]
    public void Empty_scripts_and_a_missing_folder_are_errors()
    {
        using var folder = new MigrationFolder().Add("0001_a.up.sql", "  \n");
        Assert.Equal("0001_a.up.sql is empty", Assert.Throws<MigrationException>(() => MigrationSet.Load(folder.Path)).Message);

        folder.Add("0001_a.up.sql", "SELECT 1;").Add("0001_a.down.sql", "");
        Assert.StartsWith("0001_a.down.sql is empty: ", Assert.Throws<MigrationException>(() => MigrationSet.Load(folder.Path)).Message, StringComparison.Ordinal);

        var missing = Path.Combine(folder.Path, "nope");
        Assert.Equal($"migrations folder {missing} does not exist", Assert.Throws<MigrationException>(() => MigrationSet.Load(missing)).Message);
    }
}
