using Slipway.Migrations;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Deployment.SmokeTests;
using Slipway.Delivery.Tests.Database;
using Slipway.Delivery.Tests.Deployment.TestStack;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>
/// Rollback as a release manager uses it, blue-green on the real engine behind the real nginx: it starts from what
/// serves, walks back one release at a time, stops when nothing earlier remains, and minds the schema.
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class RollbackChainTests
{
    private const string V1 = "1.0.0+aaaaaaa";
    private const string V2 = "2.0.0+bbbbbbb";
    private const string V3 = "3.0.0+ccccccc";

    [RegistryFact]
    public async Task After_v1_v2_v3_rollbacks_go_to_v2_then_v1_then_refuse_changing_nothing()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        var images = new[] { await stack.PushAppAsync(V1), await stack.PushAppAsync(V2), await stack.PushAppAsync(V3) };
        await stack.DeployAsync(V1, images[0]);
        await stack.DeployAsync(V2, images[1]);
        await stack.DeployAsync(V3, images[2]);

        var first = await stack.RollbackAsync();
        Assert.Equal(V2, first.Release.Version);
        await AssertServesAsync(stack, V2, images[1]);

        var second = await stack.RollbackAsync();
        Assert.Equal(V1, second.Release.Version);
        await AssertServesAsync(stack, V1, images[0]);

        var names = stack.Environment.Names;
        var ledger = await ReleaseLedger.OpenAsync(stack.Docker, names);
        var before = await ledger.ReadAsync();
        var running = await stack.RunningAsync();
        var third = await Assert.ThrowsAsync<DeployFailedException>(() => stack.RollbackAsync());

        Assert.Equal($"nothing earlier remains to roll back to: {V1} is the oldest release in the chain of what served local; nothing changed", third.Message);
        await AssertServesAsync(stack, V1, images[0]);
        Assert.Equal(running, await stack.RunningAsync());
        Assert.Null(await stack.Docker.Containers.TryInspectAsync(names.Lock));
        var after = await ledger.ReadAsync();
        Assert.Equal(Snapshot(before), Snapshot(after));
        Assert.Equal(
            [(V1, ReleaseKind.Deploy, null, null), (V2, ReleaseKind.Deploy, V1, null), (V3, ReleaseKind.Deploy, V2, null),
             (V2, ReleaseKind.Rollback, V1, $"rollback from {V3}"), (V1, ReleaseKind.Rollback, null, $"rollback from {V2}")],
            after.Select(r => (r.Version, r.Kind, r.Previous, r.Note)));
        Assert.All(after, r => Assert.Equal(ReleaseOutcome.Succeeded, r.Outcome));
    }

    [RegistryFact]
    public async Task When_the_ledger_disagrees_with_what_nginx_serves_rollback_says_so_and_goes_by_what_serves()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        var v1 = await stack.PushAppAsync(V1);
        var v2 = await stack.PushAppAsync(V2);
        await stack.DeployAsync(V1, v1);
        await stack.DeployAsync(V2, v2);
        // A success nginx never saw: the ledger's newest says v3 serves, green (v2) does.
        var ledger = await ReleaseLedger.OpenAsync(stack.Docker, stack.Environment.Names);
        var claimed = (await ledger.ReadAsync())[^1] with { Version = V3, StartedAt = DateTimeOffset.UtcNow, Images = new Dictionary<string, string> { ["api"] = v2.Replace("sha256:", "sha256:0", StringComparison.Ordinal)[..^1] } };
        await ledger.RecordAsync(claimed);

        var log = new List<string>();
        var back = await stack.RollbackAsync(log: log);

        var green = stack.Environment.Names.Container("api-green");
        Assert.Single(log, l => l.StartsWith($"the ledger says {V3} (api@", StringComparison.Ordinal)
            && l.EndsWith($"serves local, but nginx → {green} runs {V2} (@{v2[(v2.IndexOf("@sha256:", StringComparison.Ordinal) + 8)..][..12]}): going by what serves", StringComparison.Ordinal));
        Assert.Equal((V1, $"rollback from {V2}"), (back.Release.Version, back.Release.Note));
        await AssertServesAsync(stack, V1, v1);
        var releases = await ledger.ReadAsync();
        Assert.Contains($"* {V1}  rollback  succeeded", ReleaseLedger.Format(releases, ReleaseLedger.Reconcile(releases, await stack.ServingAsync(), "local", "api", _ => { })), StringComparison.Ordinal);
    }

    [RegistryFact]
    public async Task Rolling_back_across_a_migration_not_marked_backward_compatible_is_refused_unless_allowed()
    {
        using var folder = new MigrationFolder()
            .Add("0001_create_widgets.up.sql", "-- slipway: backward-compatible\nCREATE TABLE widgets (id bigint PRIMARY KEY);\n")
            .Add("0002_add_price.up.sql", "-- slipway: backward-compatible\nALTER TABLE widgets ADD COLUMN price_cents integer;\n")
            .Add("0003_drop_name.up.sql", "ALTER TABLE widgets DROP COLUMN name;\n");
        var migrations = MigrationSet.Load(folder.Path);
        await using var stack = await DeployTestStack.CreateAsync();
        var v1 = await stack.PushAppAsync(V1);
        var v2 = await stack.PushAppAsync(V2);
        var v3 = await stack.PushAppAsync(V3);
        await stack.DeployAsync(V1, v1, schema: "1");
        await stack.DeployAsync(V2, v2, schema: "2");

        // Across 0002 only, which is marked: a warning, and the rollback runs.
        var log = new List<string>();
        var marked = await stack.RollbackAsync(log: log, migrations: migrations);
        Assert.Equal((V1, "2"), (marked.Release.Version, marked.Release.MigrationVersion));
        Assert.Contains($"{V1} was deployed on schema 1, the live schema is 2: it will run on 0002_add_price, which it never saw", log);
        await AssertServesAsync(stack, V1, v1);

        // v3 on schema 3 replaces v1; going back to v1 now crosses 0003, which is not marked.
        await stack.DeployAsync(V3, v3, schema: "3");
        var names = stack.Environment.Names;
        var ledger = await ReleaseLedger.OpenAsync(stack.Docker, names);
        var before = await ledger.ReadAsync();
        log.Clear();
        var refused = await Assert.ThrowsAsync<DeployFailedException>(() => stack.RollbackAsync(log: log, migrations: migrations));
        Assert.Equal(
            $"rollback to {V1} refused: 0003_drop_name is not marked backward-compatible ('-- slipway: backward-compatible' as the first line); pass --allow-newer-schema to roll back anyway; nothing changed",
            refused.Message);
        Assert.Equal([$"{V1} was deployed on schema 1, the live schema is 3: it will run on 0002_add_price, 0003_drop_name, which it never saw"], log);
        await AssertServesAsync(stack, V3, v3);
        Assert.Equal(Snapshot(before), Snapshot(await ledger.ReadAsync()));
        Assert.Null(await stack.Docker.Containers.TryInspectAsync(names.Lock));

        log.Clear();
        var allowed = await stack.RollbackAsync(log: log, migrations: migrations, allowNewerSchema: true);
        Assert.Equal((V1, "3"), (allowed.Release.Version, allowed.Release.MigrationVersion));
        Assert.Contains("--allow-newer-schema: rolling back over 0003_drop_name, not marked backward-compatible", log);
        await AssertServesAsync(stack, V1, v1);
    }

    private static string Snapshot(IReadOnlyList<Release> releases) => System.Text.Json.JsonSerializer.Serialize(releases);

    /// <summary>nginx points at the colour running <paramref name="version"/>, and that is what answers through it.</summary>
    private static async Task AssertServesAsync(DeployTestStack stack, string version, string image)
    {
        var serving = await stack.ServingAsync();
        Assert.Equal((version, image), (serving?.Version, serving?.AppImage));
        var smoke = await SmokeTester.RunAsync(SingleHostDeployer.PublicSmokeTarget(stack.Environment, version));
        Assert.True(smoke.Passed, smoke.Table());
    }
}
