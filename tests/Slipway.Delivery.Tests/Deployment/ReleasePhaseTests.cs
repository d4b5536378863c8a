using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Deployment.TestStack;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>
/// The deploy's release phase on the real engine and registry, with the tests' tiny app: its image carries a
/// `migrate` script, which the release phase runs in a container of the new image before the app changes.
/// The script checks from inside what the release phase promises (the stack's network, its DATABASE_URL, the
/// live release still serving); <see cref="ApiReleasePhaseTests"/> runs the real API image's migrator.
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class ReleasePhaseTests(SwarmEngine swarm) : IClassFixture<SwarmEngine>
{
    private static readonly string[] Migrate = ["migrate"];

    /// <summary>Reaches the host and port of DATABASE_URL (the stack's PostgreSQL, on the internal backend network).</summary>
    private const string ReachesTheDatabase = """
        set -euo pipefail
        hostport=${DATABASE_URL#*@}; hostport=${hostport%%/*}
        exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}"
        echo "reached ${hostport%:*} on port ${hostport#*:}"
        echo "0001_create_orders applied in 1 ms"
        echo "schema version 1"

        """;

    /// <summary>GET /version of <paramref name="host"/>:8080 from inside the release container, printed as "live: {...}".</summary>
    private static string AsksTheLiveRelease(string host) => $$"""
        set -euo pipefail
        exec 3<>/dev/tcp/{{host}}/8080
        printf 'GET /version HTTP/1.0\r\nHost: app\r\n\r\n' >&3
        echo "live: $(tail -n 1 <&3)"

        """;

    [RegistryFact]
    public async Task The_release_phase_runs_the_new_image_on_the_stacks_network_with_its_database_url_before_the_app_changes_and_the_ledger_keeps_its_schema_version()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        stack.AddDatabase();
        var names = stack.Environment.Names;
        var v1 = await stack.PushAppAsync("1.0.0+aaaaaaa", migrate: ReachesTheDatabase);
        var v2 = await stack.PushAppAsync("2.0.0+bbbbbbb", migrate: AsksTheLiveRelease(names.Container("api-blue")) + $$"""
            if getent hosts {{names.Container("api-green")}} >/dev/null; then echo "green exists already"; exit 9; fi
            echo "0002_add_total applied in 1 ms"
            echo "schema version 2"

            """);

        var log = new List<string>();
        await DeployAsync(stack, "1.0.0+aaaaaaa", v1, log);

        Assert.Contains($"release phase: migrate from {v1} on edge, backend", log);
        Assert.Contains("  | reached postgres on port 5432", log);
        Assert.Contains(log, l => l.StartsWith("release phase done in ", StringComparison.Ordinal) && l.EndsWith(", schema version 1", StringComparison.Ordinal));
        // After PostgreSQL was up, before the first colour started.
        Assert.True(log.FindIndex(l => l.StartsWith("postgres created", StringComparison.Ordinal)) < log.FindIndex(l => l.StartsWith("release phase:", StringComparison.Ordinal)));
        Assert.True(log.FindIndex(l => l.StartsWith("release phase done", StringComparison.Ordinal)) < log.FindIndex(l => l.StartsWith("blue (1.0.0+aaaaaaa) started", StringComparison.Ordinal)));

        log.Clear();
        await DeployAsync(stack, "2.0.0+bbbbbbb", v2, log);

        // Seen from inside the release container: blue answered with v1, and green did not exist yet.
        Assert.Contains("  | live: {\"version\":\"1.0.0+aaaaaaa\"}", log);
        Assert.Contains("  | schema version 2", log);
        var ledger = await (await ReleaseLedger.OpenAsync(stack.Docker, names)).ReadAsync();
        Assert.Equal([("1.0.0+aaaaaaa", "1", ReleaseOutcome.Succeeded), ("2.0.0+bbbbbbb", "2", ReleaseOutcome.Succeeded)],
            ledger.Select(r => (r.Version, r.MigrationVersion, r.Outcome)));
        Assert.Null(await stack.Docker.Containers.TryInspectAsync(names.Container("api-release")));
        // Only nginx publishes a port: the deploy never reached the database from this machine.
        var postgres = await stack.Docker.Containers.InspectAsync(names.Container("postgres"));
        Assert.Null(postgres.HostPort(5432));
        Assert.Equal([names.Container("api-green"), names.Container("nginx"), names.Container("postgres")], await stack.RunningAsync());
    }

    [RegistryFact]
    public async Task A_failing_release_phase_stops_the_deploy_with_its_log_and_the_live_colour_keeps_serving_untouched()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        stack.AddDatabase();
        var names = stack.Environment.Names;
        var v1 = await stack.PushAppAsync("1.0.0+aaaaaaa", migrate: ReachesTheDatabase);
        var v2 = await stack.PushAppAsync("2.0.0+bbbbbbb", migrate: """
            echo "0002_add_total: applying"
            echo 'migrate failed: 0002_add_total.up.sql failed at line 2, column 8: division by zero (SQLSTATE 22012)' >&2
            exit 3

            """);
        await DeployAsync(stack, "1.0.0+aaaaaaa", v1, []);
        var blue = await stack.Docker.Containers.InspectAsync(names.Container("api-blue"));

        using var client = stack.Client();
        var log = new List<string>();
        DeployFailedException failure;
        await using (var load = new LoadGenerator(client, stack.Environment.PublicUrl))
        {
            failure = await Assert.ThrowsAsync<DeployFailedException>(() => DeployAsync(stack, "2.0.0+bbbbbbb", v2, log));
            await Task.Delay(500);
            await load.StopAsync();
            Assert.True(load.Failed == 0, $"{load.Failed} failed requests: {string.Join(" | ", load.Failures.Take(5))}");
            Assert.True(load.Succeeded > 5, $"only {load.Succeeded} requests got through");
            Assert.Equal(["1.0.0+aaaaaaa"], load.Versions.Keys);
        }

        Assert.Equal(
            "release phase `migrate` exited with code 3, so the app was not touched (blue still serving); last 20 lines of its log:\n" +
            "  | 0002_add_total: applying\n" +
            "  | migrate failed: 0002_add_total.up.sql failed at line 2, column 8: division by zero (SQLSTATE 22012)",
            failure.Message);
        Assert.False(failure.RolledBack);
        Assert.DoesNotContain(log, l => l.StartsWith("green", StringComparison.Ordinal));
        // Blue is the same container, still running; green was never created; the release container is gone.
        var after = await stack.Docker.Containers.InspectAsync(names.Container("api-blue"));
        Assert.Equal((blue.Id, true), (after.Id, after.State.Running));
        Assert.Null(await stack.Docker.Containers.TryInspectAsync(names.Container("api-green")));
        Assert.Null(await stack.Docker.Containers.TryInspectAsync(names.Container("api-release")));
        var ledger = await (await ReleaseLedger.OpenAsync(stack.Docker, names)).ReadAsync();
        Assert.Equal([("1.0.0+aaaaaaa", "1", ReleaseOutcome.Succeeded), ("2.0.0+bbbbbbb", (string?)null, ReleaseOutcome.Failed)],
            ledger.Select(r => (r.Version, r.MigrationVersion, r.Outcome)));
        Assert.Equal("1.0.0+aaaaaaa", ReleaseLedger.Current(ledger)?.Version);

        // A release that migrates, then crashes at start: its record keeps the schema it left behind.
        var v3 = await stack.PushAppAsync("3.0.0+ccccccc", crashes: true, migrate: "echo \"schema version 2\"\n");
        await Assert.ThrowsAsync<DeployFailedException>(() => DeployAsync(stack, "3.0.0+ccccccc", v3, []));
        ledger = await (await ReleaseLedger.OpenAsync(stack.Docker, names)).ReadAsync();
        Assert.Equal(("3.0.0+ccccccc", "2", ReleaseOutcome.RolledBack), ledger.Select(r => (r.Version, r.MigrationVersion, r.Outcome)).Last());
    }

    [RegistryFact]
    public async Task On_a_swarm_the_release_phase_runs_on_the_stacks_overlay_network_before_the_rolling_update_and_a_failure_leaves_the_service_as_it_was()
    {
        await using var stack = await DeployTestStack.CreateAsync(await swarm.StartAsync(), DeployStrategy.Swarm);
        var names = stack.Environment.Names;
        var v1 = await stack.PushAppAsync("1.0.0+aaaaaaa", migrate: "echo \"environment: $GREETING\"\necho \"schema version 1\"\n");
        // "api" is the app's tasks, through the swarm's DNS on the overlay network: still v1's while v2 migrates.
        var v2 = await stack.PushAppAsync("2.0.0+bbbbbbb", migrate: AsksTheLiveRelease("api") + "echo \"schema version 2\"\n");
        var v3 = await stack.PushAppAsync("3.0.0+ccccccc", migrate: "echo 'migrate failed: cannot connect to PostgreSQL' >&2\nexit 4\n");

        var log = new List<string>();
        await DeployAsync(stack, "1.0.0+aaaaaaa", v1, log);
        Assert.Contains("  | environment: from compose", log);
        Assert.True(log.FindIndex(l => l.StartsWith("release phase done", StringComparison.Ordinal)) < log.FindIndex(l => l.StartsWith("api created", StringComparison.Ordinal)));

        log.Clear();
        await DeployAsync(stack, "2.0.0+bbbbbbb", v2, log);
        Assert.Contains("  | live: {\"version\":\"1.0.0+aaaaaaa\"}", log);

        using var client = stack.Client();
        DeployFailedException failure;
        await using (var load = new LoadGenerator(client, stack.Environment.PublicUrl))
        {
            failure = await Assert.ThrowsAsync<DeployFailedException>(() => DeployAsync(stack, "3.0.0+ccccccc", v3, []));
            await Task.Delay(500);
            await load.StopAsync();
            Assert.True(load.Failed == 0, $"{load.Failed} failed requests: {string.Join(" | ", load.Failures.Take(5))}");
            Assert.Equal(["2.0.0+bbbbbbb"], load.Versions.Keys);
        }

        Assert.StartsWith("release phase `migrate` exited with code 4, so the app was not touched (2.0.0+bbbbbbb still serving)", failure.Message, StringComparison.Ordinal);
        Assert.EndsWith("  | migrate failed: cannot connect to PostgreSQL", failure.Message, StringComparison.Ordinal);
        Assert.Equal(v2, (await stack.Docker.Services.InspectAsync(names.SwarmService("api"))).Image);
        Assert.Null(await stack.Docker.Containers.TryInspectAsync(names.Container("api-release")));
        var ledger = await (await ReleaseLedger.OpenAsync(stack.Docker, names)).ReadAsync();
        Assert.Equal(
            [("1.0.0+aaaaaaa", "1", ReleaseOutcome.Succeeded), ("2.0.0+bbbbbbb", "2", ReleaseOutcome.Succeeded), ("3.0.0+ccccccc", (string?)null, ReleaseOutcome.Failed)],
            ledger.Select(r => (r.Version, r.MigrationVersion, r.Outcome)));
    }

    private static Task<DeployResult> DeployAsync(DeployTestStack stack, string version, string image, List<string> log)
    {
        void Log(string line)
        {
            lock (log)
                log.Add(line);
        }

        var request = stack.Request(version, image) with { ReleaseCommand = Migrate };
        return stack.Runner(Log).DeployAsync(request);
    }
}
