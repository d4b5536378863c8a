using Slipway.Migrations;

namespace Slipway.Delivery.Tests.Database;

/// <summary>The service's real migrations (src/Api/Migrations) go all the way up, all the way down, and up again.</summary>
public sealed class ApiMigrationsTests
{
    [Fact]
    public void The_folder_is_valid_and_every_migration_can_be_reverted()
    {
        var set = MigrationSet.Load(ApiMigrationsFolder());

        Assert.NotEmpty(set.Migrations);
        Assert.Empty(set.WithoutDown.Select(m => m.UpFile));
    }

    [PostgresFact]
    public async Task Applies_up_and_down_cleanly()
    {
        await using var db = await TestDatabase.CreateAsync();
        var folder = ApiMigrationsFolder();
        var empty = await db.SchemaSnapshotAsync();

        var up = await Migrator.ApplyAsync(await Migrator.PlanAsync(db.Url, folder, null, MigrationOptions.Default, default), _ => { }, default);
        Assert.Contains("users", await db.TablesAsync());
        var atLatest = await db.SchemaSnapshotAsync();

        var down = await Migrator.ApplyAsync(await Migrator.PlanAsync(db.Url, folder, 0, MigrationOptions.Default, default), _ => { }, default);
        Assert.Equal(up.Applied.Select(s => s.Id).Reverse(), down.Reverted.Select(s => s.Id));
        Assert.Equal(empty, (await db.SchemaSnapshotAsync()).Where(line => !line.Contains("schema_migrations", StringComparison.Ordinal)));

        await Migrator.ApplyAsync(await Migrator.PlanAsync(db.Url, folder, null, MigrationOptions.Default, default), _ => { }, default);
        Assert.Equal(atLatest, await db.SchemaSnapshotAsync());
    }

    private static string ApiMigrationsFolder() => RepositoryRoot.Combine("src", "Api", "Migrations");
}
