using Slipway.Delivery.Deployment;
using Slipway.Delivery.Deployment.SmokeTests;
using Slipway.Delivery.Tests.Deployment.DynamoDb;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.Delivery.Tests.Ecs.LocalEcs;
using Slipway.Delivery.Tests.Images;
using Slipway.Migrations;

namespace Slipway.Delivery.Tests.Ecs;

/// <summary>The "ecs" strategy as release managers use it, against the local ECS control plane running the real API image.</summary>
[Collection(EcsCollection.Name)]
public sealed class EcsDeployTests(Dynalite dynamo) : IClassFixture<Dynalite>
{
    private const string Note = "0002_add_users_note.up.sql";
    private const string NoteSql = "-- slipway: backward-compatible\nALTER TABLE users ADD COLUMN note text;\n";

    [EcsPlaneFact]
    public async Task Deploy_v1_then_v2_under_load_without_a_failed_request_then_roll_back_and_roll_back_again()
    {
        await using var stack = await EcsApiStack.StartAsync(dynamo, LocalEcsScenario.Service, desiredCount: 2);
        var v1 = await stack.PushAsync("1.0.0");
        var v2 = await stack.PushAsync("2.0.0", (Note, NoteSql));
        await stack.Scenario.WaitForServiceAsync(s => s["deployments"]!.AsArray() is [{ } only] && only["rolloutState"]!.GetValue<string>() == "COMPLETED", "terraform's revision COMPLETED");

        // The dry run's plan is the real run's: nothing changes.
        var dryRun = await stack.Runner().PlanAsync(stack.Request("1.0.0", v1));
        Assert.Contains(dryRun.Describe(), l => l.StartsWith("task def     slipway-api:1 (not deployed by Slipway) → a new revision of slipway-api", StringComparison.Ordinal));
        Assert.Single((await stack.ServiceAsync())["deployments"]!.AsArray());

        var first = await stack.Runner().DeployAsync(stack.Request("1.0.0", v1));
        Assert.Equal("1", first.Release.MigrationVersion);
        Assert.EndsWith("/slipway-api:2", first.Release.Images[EcsDeployer.TaskDefinitionKey], StringComparison.Ordinal);
        Assert.Contains(stack.Log, l => l.StartsWith("release phase: `migrate --applied-by ecs-test` as a one-off task of slipway-api:2", StringComparison.Ordinal));
        Assert.Contains(stack.Log, l => l.StartsWith("  | 0001_create_users applied in ", StringComparison.Ordinal));

        using var client = SmokeTester.CreateClient(null);
        await using (var load = new LoadGenerator(client, stack.Plane.LoadBalancerUrl))
        {
            var second = await stack.Runner().DeployAsync(stack.Request("2.0.0", v2));
            await load.StopAsync();
            var failed = load.Failed;
            if (failed > 0)
                Assert.Fail($"{failed} of {load.Succeeded + failed} requests failed during v1 → v2: {string.Join("; ", load.Failures.Take(5))}; the service's events, newest first: {(await stack.ServiceAsync())["events"]!.ToJsonString()}");
            Assert.Equal(["1.0.0", "2.0.0"], load.Versions.Keys.Order(StringComparer.Ordinal));
            Assert.Equal("2.0.0", load.LastVersion);
            Assert.Equal("2", second.Release.MigrationVersion);
            Assert.StartsWith("ECS deployment of api to 2.0.0 (slipway-api:3): COMPLETED in ", second.Summary, StringComparison.Ordinal);
        }

        Assert.Equal("t", await stack.SqlAsync("SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'note')"));
        var live = await stack.ServiceAsync();
        Assert.EndsWith("/slipway-api:3", live["taskDefinition"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(live["deploymentConfiguration"]!["deploymentCircuitBreaker"]!["rollback"]!.GetValue<bool>());

        // Rollback: the ledger's revision of 1.0.0, nothing registered; it runs on the newer schema, whose migration is marked.
        var migrations = Directory.CreateTempSubdirectory("slipway-ecs-migrations-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(RepositoryFiles.PathOf("src/Api/Migrations"), "*.sql"))
                File.Copy(file, Path.Combine(migrations, Path.GetFileName(file)));
            await File.WriteAllTextAsync(Path.Combine(migrations, Note), NoteSql);
            var rollback = stack.Rollback() with { Migrations = MigrationSet.Load(migrations) };

            // Which version answers, asked on fresh connections with a patient timeout: on a loaded test engine a task
            // just started can take seconds to answer its first request. Failed requests are counted under load above.
            using var asker = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var back = await stack.Runner().RollbackAsync(rollback);
            Assert.Equal("1.0.0", back.Release.Version);
            Assert.EndsWith("/slipway-api:2", back.Release.Images[EcsDeployer.TaskDefinitionKey], StringComparison.Ordinal);
            Assert.EndsWith("/slipway-api:2", (await stack.ServiceAsync())["taskDefinition"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains("\"1.0.0\"", await asker.GetStringAsync(new Uri(stack.Plane.LoadBalancerUrl, "version")), StringComparison.Ordinal);

            // Again: 1.0.0 was the first release, nothing earlier remains; refused before anything changes.
            var again = await Assert.ThrowsAsync<DeployFailedException>(() => stack.Runner().RollbackAsync(rollback));
            Assert.StartsWith("nothing earlier remains to roll back to: 1.0.0 is the oldest release", again.Message, StringComparison.Ordinal);
            Assert.EndsWith("/slipway-api:2", (await stack.ServiceAsync())["taskDefinition"]!.GetValue<string>(), StringComparison.Ordinal);

            // Forward again by version: 2.0.0's revision, still no rebuild.
            var forward = await stack.Runner().RollbackAsync(rollback with { ToVersion = "2.0.0" });
            Assert.EndsWith("/slipway-api:3", forward.Release.Images[EcsDeployer.TaskDefinitionKey], StringComparison.Ordinal);
            Assert.Contains("\"2.0.0\"", await asker.GetStringAsync(new Uri(stack.Plane.LoadBalancerUrl, "version")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(migrations, recursive: true);
        }

        var ledger = await stack.LedgerAsync();
        Assert.Equal(
            [("1.0.0", ReleaseKind.Deploy, ReleaseOutcome.Succeeded), ("2.0.0", ReleaseKind.Deploy, ReleaseOutcome.Succeeded), ("1.0.0", ReleaseKind.Rollback, ReleaseOutcome.Succeeded), ("2.0.0", ReleaseKind.Rollback, ReleaseOutcome.Succeeded)],
            ledger.Select(r => (r.Version, r.Kind, r.Outcome)));
    }

    [EcsPlaneFact]
    public async Task A_failing_migration_task_stops_the_deploy_with_its_log_and_leaves_the_service_untouched()
    {
        await using var stack = await EcsApiStack.StartAsync(dynamo, LocalEcsScenario.Service, desiredCount: 1);
        var v1 = await stack.PushAsync("1.0.0");
        var broken = await stack.PushAsync("2.0.0-broken", ("0002_add_total.up.sql", "ALTER TABLE users ADD COLUMN total integer;\nSELECT 1 / 0;\n"));
        await stack.Runner().DeployAsync(stack.Request("1.0.0", v1));
        var before = await stack.ServiceAsync();

        var failure = await Assert.ThrowsAsync<DeployFailedException>(() => stack.Runner().DeployAsync(stack.Request("2.0.0", broken)));

        Assert.StartsWith("release phase `migrate --applied-by ecs-test` exited with code 1, so the service was not touched (1.0.0 (slipway-api:2) still serving)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("  | migrate failed: 0002_add_total.up.sql failed in the statement at line 2: division by zero (SQLSTATE 22012); its transaction was rolled back and slipway stays at version 1", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("rds-password", failure.Message, StringComparison.Ordinal);
        var after = await stack.ServiceAsync();
        Assert.Equal(before["taskDefinition"]!.ToJsonString(), after["taskDefinition"]!.ToJsonString());
        Assert.Equal(before["deployments"]!.AsArray().Select(d => d!["id"]!.ToJsonString()), after["deployments"]!.AsArray().Select(d => d!["id"]!.ToJsonString()));
        Assert.Equal("f", await stack.SqlAsync("SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'total')"));
        using var client = SmokeTester.CreateClient(null);
        Assert.Contains("\"1.0.0\"", await client.GetStringAsync(new Uri(stack.Plane.LoadBalancerUrl, "version")), StringComparison.Ordinal);
        var ledger = await stack.LedgerAsync();
        Assert.Equal(ReleaseOutcome.Failed, ledger[^1].Outcome);
        Assert.Equal("2.0.0", ledger[^1].Version);
    }
}

/// <summary>The Docker engine and registry (the plane's tasks), and dynalite (the lock and ledger's table).</summary>
public sealed class EcsPlaneFactAttribute : RealServerFactAttribute
{
    public EcsPlaneFactAttribute()
    {
        Needs(RealServers.DockerReachable && RealServers.TcpReachable(RealServers.Registry is { } r ? $"http://{r}" : null),
            $"the Docker engine at {RealServers.DockerHost} and the registry (SLIPWAY_TEST_REGISTRY)", RealServers.StartAll);
        Needs(NodeTools.Installed(Dynalite.Package), $"{Dynalite.Package} (npm, in .nuke/temp/node-tools) and node", RealServers.InstallTools);
    }
}

[CollectionDefinition(Name)]
public sealed class EcsCollection
{
    public const string Name = "ECS control plane";
}

/// <summary>Releases that must not stay: ECS's circuit breaker takes back one that never gets healthy, we take back one that fails smoke.</summary>
[Collection(EcsCollection.Name)]
public sealed class EcsFailedReleaseTests(Dynalite dynamo) : IClassFixture<Dynalite>
{
    [EcsPlaneFact]
    public async Task A_release_never_healthy_is_rolled_back_by_the_circuit_breaker_and_one_failing_smoke_by_the_deploy_while_v1_serves_every_request()
    {
        await using var stack = await EcsApiStack.StartAsync(dynamo, LocalEcsScenario.Service, desiredCount: 1);
        var v1 = await stack.PushAsync("1.0.0");
        // Listens on another port than its health check and target group expect: ECS never sees it healthy.
        var sick = await stack.PushAsync("2.0.0-sick", dockerfileTail: "ENV ASPNETCORE_HTTP_PORTS=9090\n");
        // Healthy to ECS, but reports another version than the one deployed: the smoke check through the load balancer fails.
        var wrong = await stack.PushAsync("3.0.0-wrong", dockerfileTail: "ENTRYPOINT [\"bash\", \"-c\", \"APP_VERSION=0.0.0-wrong exec dotnet Api.dll \\\"$@\\\"\", \"--\"]\n");
        await stack.Runner().DeployAsync(stack.Request("1.0.0", v1));

        using var client = SmokeTester.CreateClient(null);
        await using var load = new LoadGenerator(client, stack.Plane.LoadBalancerUrl);

        var breaker = await Assert.ThrowsAsync<DeployFailedException>(() => stack.Runner().DeployAsync(stack.Request("2.0.0", sick)));
        Assert.True(breaker.RolledBack);
        Assert.StartsWith("the ECS circuit breaker failed deployment ecs-svc/", breaker.Message, StringComparison.Ordinal);
        Assert.True(breaker.Message.Contains("of 2.0.0 and rolled the service back to slipway-api:2 (1.0.0 (slipway-api:2) still serving): ECS deployment circuit breaker: ", StringComparison.Ordinal), breaker.Message);
        Assert.Contains(") deployment failed: tasks failed to start.", breaker.Message, StringComparison.Ordinal);
        Assert.Contains("failed container health checks.", breaker.Message, StringComparison.Ordinal);
        Assert.Contains("stopped (ServiceSchedulerInitiated: Task failed container health checks", breaker.Message, StringComparison.Ordinal);
        Assert.Contains("Now listening on: http://[::]:9090", breaker.Message, StringComparison.Ordinal);
        Assert.EndsWith("/slipway-api:2", (await stack.ServiceAsync())["taskDefinition"]!.GetValue<string>(), StringComparison.Ordinal);

        var smoke = await Assert.ThrowsAsync<DeployFailedException>(() => stack.Runner().DeployAsync(stack.Request("3.0.0", wrong)));
        Assert.True(smoke.RolledBack);
        Assert.True(smoke.Message.StartsWith("3.0.0 failed its smoke checks via http://127.0.0.1:", StringComparison.Ordinal), smoke.Message);
        Assert.EndsWith("so the service went back to slipway-api:2 (1.0.0), which serves again", smoke.Message, StringComparison.Ordinal);
        Assert.Contains("0.0.0-wrong", smoke.Message, StringComparison.Ordinal);
        var service = await stack.ServiceAsync();
        Assert.EndsWith("/slipway-api:2", service["taskDefinition"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(LocalEcsScenario.Completed(service, service["taskDefinition"]!.GetValue<string>()));

        await load.StopAsync();
        Assert.True(load.Failed == 0, $"{load.Failed} of {load.Succeeded + load.Failed} requests failed: {string.Join("; ", load.Failures.Take(5))}");
        Assert.Equal("1.0.0", load.LastVersion);
        Assert.Equal(
            [("1.0.0", ReleaseOutcome.Succeeded), ("2.0.0", ReleaseOutcome.RolledBack), ("3.0.0", ReleaseOutcome.RolledBack)],
            (await stack.LedgerAsync()).Select(r => (r.Version, r.Outcome)));
    }

    [EcsPlaneFact]
    public async Task Two_deploys_from_two_runners_at_once_one_wins_and_the_other_is_refused_at_once()
    {
        await using var stack = await EcsApiStack.StartAsync(dynamo, LocalEcsScenario.Service, desiredCount: 1);
        var v1 = await stack.PushAsync("1.0.0");
        var now = DateTimeOffset.UtcNow;
        LockHolder Runner(string host) => new("ci", host, 4242, now, now + DeployLock.DefaultLease);

        var logs = new Dictionary<string, List<string>> { ["runner-a"] = [], ["runner-b"] = [] };
        var deploys = logs.ToDictionary(l => l.Key, l => stack.Runner(l.Value).DeployAsync(stack.Request("1.0.0", v1) with { Who = Runner(l.Key) }));

        // The loser is refused before it plans or changes anything, while the winner still deploys: it ends first.
        var loser = await Task.WhenAny(deploys.Values);
        var refused = await Assert.ThrowsAsync<DeployLockedException>(() => loser);
        var (winner, won) = deploys.Single(d => d.Value != loser);
        Assert.False(won.IsCompleted);
        var result = await won;
        Assert.Equal(ReleaseOutcome.Succeeded, result.Release.Outcome);
        Assert.Contains(winner, refused.Message, StringComparison.Ordinal);
        var loserName = deploys.Single(d => d.Value == loser).Key;
        Assert.DoesNotContain(logs[loserName], l => l.StartsWith("registered", StringComparison.Ordinal) || l.StartsWith("release phase", StringComparison.Ordinal));
        Assert.Contains(logs[winner], l => l.StartsWith("registered slipway-api:2", StringComparison.Ordinal));
        Assert.Single(await stack.LedgerAsync());
    }
}
