using Slipway.Delivery.Tests.Deployment.TestStack;
using Xunit.Abstractions;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>
/// --dry-run through the real build (./build.sh's compiled _build, run in a <see cref="BuildWorkspace"/>) on the real engine,
/// registry and PostgreSQL: the registry, the engine, the ledger and the database are the same after a dry run as before,
/// and the plan a dry run prints is the one the real run that follows prints before carrying it out.
/// </summary>
public sealed class DryRunTests(ITestOutputHelper testOutput)
{
    /// <summary>Runs the build with --dry-run and asserts that nothing a deploy could change has changed.</summary>
    private async Task<BuildOutput> DryRunAsync(BuildWorkspace workspace, params string[] arguments)
    {
        var before = await workspace.SnapshotAsync();
        var output = await workspace.RunAsync([.. arguments, "--dry-run"]);
        testOutput.WriteLine(output.ToString());
        Assert.Equal(before, await workspace.SnapshotAsync());
        return output;
    }

    private async Task<BuildOutput> RealRunAsync(BuildWorkspace workspace, params string[] arguments)
    {
        var output = await workspace.RunAsync(arguments);
        testOutput.WriteLine(output.ToString());
        Assert.True(output.ExitCode == 0, output.ToString());
        return output;
    }

    [BuildWorkspaceFact]
    public async Task A_release_managers_dry_runs_change_nothing_and_print_the_plan_the_real_runs_then_carry_out()
    {
        await using var workspace = await BuildWorkspace.CreateAsync();
        string[] database = ["--database-url", workspace.Database.Url];
        var (v1, v2) = (workspace.Version("1.0.0"), workspace.Version("2.0.0"));

        // Nothing deployed yet: the dry run plans the first deploy, and a rollback has nothing to go back to.
        var firstDry = await DryRunAsync(workspace, ["Deploy", "--version", v1, .. database]);
        Assert.True(firstDry.ExitCode == 0, firstDry.ToString());
        Assert.Contains(firstDry.Section("Deploy"), l => l.StartsWith($"image        slipway-api:{v1}-", StringComparison.Ordinal) && l.EndsWith($"new; BuildImages builds it, PushEcr pushes it to {workspace.Registry.Address}", StringComparison.Ordinal));
        Assert.Contains("colours      (none live) → blue", firstDry.Section("Deploy"));
        Assert.Contains("lock         free (the real run takes it)", firstDry.Section("Deploy"));
        Assert.Equal("would run (it writes; --dry-run)", firstDry.Note("BuildImages"));
        Assert.Equal("would run for PushEcr (--dry-run)", firstDry.Note("ScanImages"));
        Assert.Equal("would run (it writes; --dry-run)", firstDry.Note("PushEcr"));
        Assert.Equal("not triggered: Deploy only printed its plan (--dry-run)", firstDry.Note("SmokeTest"));
        Assert.Equal("not triggered: SmokeTest does not run (--dry-run)", firstDry.Note("Rollback"));
        Assert.Contains(firstDry.Section("Deploy"), l => l.StartsWith("release      migrate ", StringComparison.Ordinal) && l.EndsWith("every migration up to version 1", StringComparison.Ordinal));

        var nothingToRollBack = await DryRunAsync(workspace, "Rollback");
        Assert.Equal(1, nothingToRollBack.ExitCode);
        Assert.Contains($"nothing serves {workspace.Names.Environment} now, so nothing came before it", nothingToRollBack.Error, StringComparison.Ordinal);

        var firstDeploy = await RealRunAsync(workspace, ["Deploy", "--version", v1, .. database]);
        // The inputs the dry run named are those the real run built and pushed.
        var inputs = firstDry.Section("Deploy").First(l => l.StartsWith("image        slipway-api:", StringComparison.Ordinal)).Split(", inputs ")[1][..12];
        Assert.Contains(firstDeploy.Section("PushEcr"), l => l.Contains($"/slipway-api:inputs-{inputs}", StringComparison.Ordinal));
        // What the dry runs are compared on sees what a deploy writes.
        var deployed = await workspace.SnapshotAsync();
        Assert.All(["registry  slipway-api:", "registry  slipway-nginx:", "container ", "volume    ", "network   ", "image     ", "ledger    "],
            kind => Assert.Contains(deployed, l => l.StartsWith(kind, StringComparison.Ordinal)));
        AssertSamePlan(firstDry.Plan("Deploy", "environment "), firstDeploy.Plan("Deploy", "environment "));
        Assert.Contains(firstDeploy.Section("Deploy"), l => l.StartsWith("release phase done in ", StringComparison.Ordinal) && l.EndsWith(", schema version 1", StringComparison.Ordinal));

        // A new commit on an environment that serves: blue → green, and the dry run plans exactly that deploy.
        await File.AppendAllTextAsync(Path.Combine(workspace.Root, "app/app.conf"), "# release 2\n");
        await workspace.CommitAsync("release 2");
        var secondDry = await DryRunAsync(workspace, ["Deploy", "--version", v2, .. database]);
        Assert.True(secondDry.ExitCode == 0, secondDry.ToString());
        Assert.Contains("colours      blue → green", secondDry.Section("Deploy"));
        Assert.Contains(secondDry.Section("Deploy"), l => l.StartsWith("release      migrate ", StringComparison.Ordinal) && l.EndsWith("that the database lacks", StringComparison.Ordinal));
        var secondDeploy = await RealRunAsync(workspace, ["Deploy", "--version", v2, .. database]);
        AssertSamePlan(secondDry.Plan("Deploy", "environment "), secondDeploy.Plan("Deploy", "environment "));

        // The same release again: the registry has its images, so the dry run deploys them by digest and names them by tag.
        var againDry = await DryRunAsync(workspace, ["Deploy", "--version", v2, .. database]);
        Assert.Contains(againDry.Section("Deploy"), l => l.StartsWith($"image        slipway-api:{v2}-", StringComparison.Ordinal) && l.EndsWith("); nothing new to push", StringComparison.Ordinal));
        Assert.Contains("colours      green → blue", againDry.Section("Deploy"));
        Assert.Equal(secondDeploy.Plan("Deploy", "app ")[0], againDry.Plan("Deploy", "app ")[0]);

        // Rollback: the dry run names the release it goes back to and the switch, which the rollback then makes.
        var rollbackDry = await DryRunAsync(workspace, "Rollback");
        Assert.True(rollbackDry.ExitCode == 0, rollbackDry.ToString());
        Assert.StartsWith($"rollback     {v2}+", rollbackDry.Plan("Rollback", "rollback ")[0], StringComparison.Ordinal);
        Assert.Contains($" → {v1}+", rollbackDry.Plan("Rollback", "rollback ")[0], StringComparison.Ordinal);
        Assert.Contains("colours      green → blue", rollbackDry.Section("Rollback"));
        var rollback = await RealRunAsync(workspace, "Rollback");
        AssertSamePlan(rollbackDry.Plan("Rollback", "rollback "), rollback.Plan("Rollback", "rollback "));

        // Migrate on its own (an operator's, from this machine), on a database no deploy migrates: it plans, applies nothing.
        var migrateDry = await DryRunAsync(workspace, ["Migrate", .. database]);
        Assert.True(migrateDry.ExitCode == 0, migrateDry.ToString());
        Assert.Contains(migrateDry.Section("Migrate"), l => l.Contains("0001", StringComparison.Ordinal));
    }

    [BuildWorkspaceFact]
    public async Task A_dry_run_without_an_engine_is_one_line_saying_to_run_Setup_and_starts_none()
    {
        await using var workspace = await BuildWorkspace.CreateAsync(bootstrap: true);
        var nowhere = $"unix://{Path.Combine(workspace.Root, "no-engine.sock")}";

        var output = await workspace.RunAsync(["Deploy", "--version", workspace.Version("1.0.0"), "--dry-run"], dockerHost: nowhere);

        Assert.Equal(1, output.ExitCode);
        Assert.Equal(
            $"✗ the dry run reads local's engine: no Docker engine answers at {nowhere} nor at the private engine unix://{workspace.Root}/.nuke/temp/engine/docker.sock: run ./build.sh Setup",
            Assert.Single(output.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Trim());
        Assert.Equal("would run (it writes; --dry-run)", output.Note("Setup"));
        Assert.False(Directory.Exists(Path.Combine(workspace.Root, ".nuke/temp")));
    }

    private static void AssertSamePlan(IReadOnlyList<string> dryRun, IReadOnlyList<string> realRun)
    {
        Assert.NotEmpty(dryRun);
        Assert.Equal(dryRun, realRun);
    }

    /// <summary>Needs the Docker engine, docker-registry and htpasswd (for the workspace's own registry), git and PostgreSQL.</summary>
    private sealed class BuildWorkspaceFactAttribute : RealServerFactAttribute
    {
        public BuildWorkspaceFactAttribute()
        {
            Needs(RealServers.DockerReachable && RealServers.TcpReachable(RealServers.DatabaseUrl),
                "the Docker engine and PostgreSQL (SLIPWAY_TEST_DATABASE_URL)", RealServers.StartAll);
            Needs(new[] { "docker-registry", "htpasswd", "git" }.All(ToolFactAttribute.OnPath), "docker-registry, htpasswd or git (not on PATH)", RealServers.InstallTools);
        }
    }
}
