using System.Globalization;
using Slipway.Delivery.Database;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Tests.Database;
using Slipway.Delivery.Tests.Deployment.TestStack;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>Needs the engine, the registry and the test PostgreSQL server.</summary>
public sealed class DeployWithDatabaseFactAttribute : FactAttribute
{
    public DeployWithDatabaseFactAttribute() => Skip = RealServers.SkipUnless(
        RealServers.DockerReachable && RealServers.TcpReachable(RealServers.Registry is { } r ? $"http://{r}" : null) && RealServers.TcpReachable(RealServers.DatabaseUrl),
        "Docker engine, registry and PostgreSQL (SLIPWAY_TEST_REGISTRY, SLIPWAY_TEST_DATABASE_URL)");
}

/// <summary>Migrations run through the deploy's hook: after the infrastructure, before the app, with the real migrator.</summary>
[Collection(DeployCollection.Name)]
public sealed class MigrationDuringDeployTests
{
    private static Func<Action<string>, CancellationToken, Task<string?>> Migrate(string databaseUrl, string folder) =>
        async (log, ct) =>
        {
            var plan = await Migrator.PlanAsync(databaseUrl, folder, null, MigrationOptions.Default, ct);
            var result = await Migrator.ApplyAsync(plan, log, ct);
            return result.FinalVersion.ToString(CultureInfo.InvariantCulture);
        };

    [DeployWithDatabaseFact]
    public async Task A_failing_migration_stops_the_deploy_before_the_app_and_leaves_the_schema_unchanged()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        await using var database = await TestDatabase.CreateAsync();
        using var migrations = new MigrationFolder()
            .Add("0001_create_orders.up.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);\n")
            .Add("0001_create_orders.down.sql", "DROP TABLE orders;\n");
        var v1 = await stack.PushAppAsync("1.0.0+aaaaaaa");
        var v2 = await stack.PushAppAsync("2.0.0+bbbbbbb");

        await SingleHostDeployer.DeployAsync(stack.Docker, stack.Request("1.0.0+aaaaaaa", v1) with { Migrate = Migrate(database.Url, migrations.Path) }, _ => { });
        var schema = await database.SchemaSnapshotAsync();

        migrations
            .Add("0002_add_total.up.sql", "ALTER TABLE orders ADD COLUMN total integer;\nSELECT 1 / 0;\n")
            .Add("0002_add_total.down.sql", "ALTER TABLE orders DROP COLUMN total;\n");
        var failure = await Assert.ThrowsAsync<DeployFailedException>(() =>
            SingleHostDeployer.DeployAsync(stack.Docker, stack.Request("2.0.0+bbbbbbb", v2) with { Migrate = Migrate(database.Url, migrations.Path) }, _ => { }));

        Assert.StartsWith("migration failed, so the app was not touched (blue still serving): ", failure.Message, StringComparison.Ordinal);
        Assert.Equal(schema, await database.SchemaSnapshotAsync());
        Assert.Null(await stack.Docker.Containers.TryInspectAsync($"{stack.Project}-local-api-green"));
        Assert.Equal([$"{stack.Project}-local-api-blue", $"{stack.Project}-local-nginx"], await stack.RunningAsync());
        var ledger = await (await ReleaseLedger.OpenAsync(stack.Docker, stack.Environment.Names)).ReadAsync();
        Assert.Equal(("1.0.0+aaaaaaa", ReleaseOutcome.Succeeded, "1"), (ledger[0].Version, ledger[0].Outcome, ledger[0].MigrationVersion));
        Assert.Equal(("2.0.0+bbbbbbb", ReleaseOutcome.Failed), (ledger[1].Version, ledger[1].Outcome));
    }
}
