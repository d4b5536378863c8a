using System.Net;
using System.Text.Json;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Deployment.SmokeTests;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Xunit.Abstractions;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>
/// The product's own stack (PostgreSQL, Redis, the API, nginx) deployed with the swarm strategy by the real build from the
/// repository's .nuke/environments/local-swarm.json, as a release manager runs it: Deploy, a Deploy of a changed commit,
/// Rollback. The swarm is a second engine of our own (<see cref="SwarmEngine"/>), as for the other swarm tests, so the
/// shared engine's swarm state is never touched.
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class LocalSwarmEnvironmentTests(SwarmEngine swarm, ITestOutputHelper output) : IClassFixture<SwarmEngine>
{
    private static readonly string[] Stack = ["api", "nginx", "postgres", "redis"];

    [RegistryFact]
    public async Task The_products_stack_deploys_from_local_swarm_json_migrates_in_its_release_phase_takes_a_changed_commit_and_rolls_back()
    {
        await using var workspace = await RepositoryWorkspace.CreateAsync(EnvironmentName.LocalSwarm, await swarm.StartAsync());
        var names = workspace.Names;

        // 1. The first release: every service of the stack created on the swarm, the schema migrated before the API started.
        var v1 = $"{workspace.Version("1.0.0")}+{await workspace.CommitAsync("release 1")}";
        var first = await RunAsync(workspace, "Deploy", "--version", workspace.Version("1.0.0"));
        Assert.True(first.ExitCode == 0, first.ToString());
        var deploy = first.Section("Deploy");
        Assert.Contains(deploy, l => l.StartsWith($"environment  local-swarm (swarm, stack {names.Stack})", StringComparison.Ordinal));
        Assert.Contains(deploy, l => l.StartsWith("release phase: migrate --applied-by ", StringComparison.Ordinal));
        Assert.Contains(deploy, l => l.StartsWith("  | 0001_create_users applied in ", StringComparison.Ordinal));
        Assert.Contains(deploy, l => l.StartsWith("release phase done in ", StringComparison.Ordinal) && l.EndsWith(", schema version 1", StringComparison.Ordinal));
        Assert.True(deploy.ToList().FindIndex(l => l.StartsWith("release phase done", StringComparison.Ordinal)) < deploy.ToList().FindIndex(l => l.StartsWith("api created: ", StringComparison.Ordinal)), first.ToString());

        var services = await workspace.ServicesAsync();
        Assert.Equal(Stack, services.Keys.Order(StringComparer.Ordinal));
        foreach (var service in Stack)
            Assert.Equal((int)services[service].Replicas, (await workspace.TaskContainersAsync(service)).Count);
        // Nothing but nginx publishes a port: the release phase reached PostgreSQL on the stack's overlay network.
        Assert.Equal(["nginx"], Stack.Where(s => services[s].Spec["EndpointSpec"]?["Ports"] is System.Text.Json.Nodes.JsonArray { Count: > 0 }));
        Assert.All(["api", "postgres", "redis"], s => Assert.Equal("dnsrr", services[s].Spec["EndpointSpec"]?["Mode"]?.GetValue<string>()));
        Assert.Equal(["1|create_users"], await SqlAsync(workspace, "SELECT version || '|' || name FROM schema_migrations ORDER BY version"));
        await AssertServesAsync(workspace, v1, landingMark: null);
        var release1 = (await LedgerAsync(workspace))[^1];
        Assert.Equal((v1, ReleaseOutcome.Succeeded, "1"), (release1.Version, release1.Outcome, release1.MigrationVersion));
        var v1Image = services["api"].Image;

        // 2. A changed commit, as real releases differ: a migration (a new app image), a landing page (a new proxy image),
        // and the environment's configuration (three API replicas instead of two).
        await workspace.WriteAsync("src/Api/Migrations/0002_add_users_locale.up.sql",
            "-- slipway: backward-compatible\nALTER TABLE users ADD COLUMN locale VARCHAR(16);\n");
        await workspace.WriteAsync("src/Api/Migrations/0002_add_users_locale.down.sql", "ALTER TABLE users DROP COLUMN locale;\n");
        const string Mark = "<!-- release two -->";
        await workspace.WriteAsync("nginx/landing/index.html", workspace.Read("nginx/landing/index.html") + Mark + "\n");
        await workspace.EditEnvironmentAsync(file => file["compose"]!["variables"]!["API_REPLICAS"] = "3");
        var v2 = $"{workspace.Version("2.0.0")}+{await workspace.CommitAsync("release 2")}";
        var infrastructure = await TasksAsync(workspace, "postgres", "redis", "nginx");

        var second = await RunAsync(workspace, "Deploy", "--version", workspace.Version("2.0.0"));
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains(second.Section("Deploy"), l => l.StartsWith("release phase done in ", StringComparison.Ordinal) && l.EndsWith(", schema version 2", StringComparison.Ordinal));
        services = await workspace.ServicesAsync();
        Assert.NotEqual(v1Image, services["api"].Image);
        Assert.Equal(3, services["api"].Replicas);
        Assert.Equal(3, (await workspace.TaskContainersAsync("api")).Count);
        // PostgreSQL and Redis are not recreated by a release, and nginx takes the new image's configuration without a restart.
        Assert.Equal(infrastructure, await TasksAsync(workspace, "postgres", "redis", "nginx"));
        Assert.Contains(second.Section("Deploy"), l => l.Contains("by graceful reload", StringComparison.Ordinal));
        Assert.Equal(["1|create_users", "2|add_users_locale"], await SqlAsync(workspace, "SELECT version || '|' || name FROM schema_migrations ORDER BY version"));
        await AssertServesAsync(workspace, v2, Mark);
        var release2 = (await LedgerAsync(workspace))[^1];
        Assert.Equal((v2, ReleaseOutcome.Succeeded, "2", v1), (release2.Version, release2.Outcome, release2.MigrationVersion, release2.Previous));

        // 3. Rollback: the API and nginx's configuration back on release 1, nothing rebuilt; the schema stays (its migration is backward-compatible).
        var back = await RunAsync(workspace, "Rollback");
        Assert.True(back.ExitCode == 0, back.ToString());
        services = await workspace.ServicesAsync();
        Assert.Equal(v1Image, services["api"].Image);
        Assert.Equal(infrastructure, await TasksAsync(workspace, "postgres", "redis", "nginx"));
        await AssertServesAsync(workspace, v1, landingMark: null);
        Assert.Equal(2, (await SqlAsync(workspace, "SELECT version FROM schema_migrations")).Count);
        var rollback = (await LedgerAsync(workspace))[^1];
        Assert.Equal((v1, ReleaseKind.Rollback, ReleaseOutcome.Succeeded), (rollback.Version, rollback.Kind, rollback.Outcome));
        var releases = await RunAsync(workspace, "Releases");
        Assert.True(releases.ExitCode == 0, releases.ToString());
        Assert.Contains(releases.Lines, l => l.Contains($"* {v1}  rollback  succeeded", StringComparison.Ordinal));

        // 4. Rollback again: release 1 was the first, so nothing earlier remains; the swarm is not sent forward to release 2.
        var again = await RunAsync(workspace, "Rollback");
        Assert.Equal(1, again.ExitCode);
        Assert.Equal($"✗ nothing earlier remains to roll back to: {v1} is the oldest release in the chain of what served local-swarm; nothing changed",
            Assert.Single(again.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Trim());
        Assert.Equal(v1Image, (await workspace.ServicesAsync())["api"].Image);
        await AssertServesAsync(workspace, v1, landingMark: null);
    }

    /// <summary>Runs the build in the workspace; what it printed goes to the test's output.</summary>
    private async Task<BuildOutput> RunAsync(RepositoryWorkspace workspace, params string[] arguments)
    {
        var result = await workspace.RunAsync(arguments);
        output.WriteLine(result.ToString());
        return result;
    }

    /// <summary>/health through nginx's public URL answers 200 with <paramref name="version"/>; the landing page carries <paramref name="landingMark"/> or not.</summary>
    private static async Task AssertServesAsync(RepositoryWorkspace workspace, string version, string? landingMark)
    {
        using var client = SmokeTester.CreateClient(Path.Combine(workspace.Root, workspace.Environment.TrustedCaFile!));
        using var health = await client.GetAsync(new Uri(workspace.Environment.PublicUrl, "/health"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
        Assert.Equal(version, body.RootElement.GetProperty("version").GetString());
        var landing = await client.GetStringAsync(workspace.Environment.PublicUrl);
        if (landingMark is null)
            Assert.DoesNotContain("<!-- release two -->", landing, StringComparison.Ordinal);
        else
            Assert.Contains(landingMark, landing, StringComparison.Ordinal);
    }

    /// <summary>The running task containers of the services, to tell a service left alone from one whose tasks were replaced.</summary>
    private static async Task<IReadOnlyList<string>> TasksAsync(RepositoryWorkspace workspace, params string[] services)
    {
        var tasks = new List<string>();
        foreach (var service in services)
            tasks.AddRange((await workspace.TaskContainersAsync(service)).Select(id => $"{service} {id}"));
        return tasks;
    }

    /// <summary>A query in the stack's database through `docker exec` into the PostgreSQL task: this machine has no route to it.</summary>
    private static async Task<IReadOnlyList<string>> SqlAsync(RepositoryWorkspace workspace, string sql)
    {
        var postgres = Assert.Single(await workspace.TaskContainersAsync("postgres"));
        var result = await workspace.Docker.Containers.ExecAsync(postgres, ["psql", "-h", "/var/run/postgresql", "-U", "slipway", "-d", "slipway", "-tAc", sql]);
        Assert.True(result.Succeeded, result.StandardError);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static async Task<IReadOnlyList<Release>> LedgerAsync(RepositoryWorkspace workspace) =>
        await (await ReleaseLedger.OpenReadOnlyAsync(workspace.Docker, workspace.Names)).ReadAsync();
}
