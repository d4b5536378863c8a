using Slipway.Delivery.Deployment;
using Slipway.Delivery.Deployment.SmokeTests;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.DeployDriver;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>
/// The scenarios of issue 6 on the real engine, real registry (with auth) and the real edge nginx:
/// load only on 127.0.0.1. The app is a tiny image, but the deploy code path is the production one.
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class BlueGreenDeployTests
{
    [RegistryFact]
    public async Task Deploying_v2_under_load_drops_no_request_and_moves_traffic_to_v2()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        var v1 = await stack.PushAppAsync("1.0.0+aaaaaaa");
        var v2 = await stack.PushAppAsync("2.0.0+bbbbbbb");

        var first = await stack.DeployAsync("1.0.0+aaaaaaa", v1);
        Assert.Null(first.FromColour);
        Assert.Equal(Colours.Blue, first.ToColour);

        using var client = stack.Client();
        DeployResult second;
        await using (var load = new LoadGenerator(client, stack.Environment.PublicUrl))
        {
            await Task.Delay(500);
            second = await stack.DeployAsync("2.0.0+bbbbbbb", v2);
            await Task.Delay(1000);
            await load.StopAsync();
            Assert.True(load.Failed == 0, $"{load.Failed} failed requests of {load.Succeeded + load.Failed}: {string.Join(" | ", load.Failures.Take(5))}");
            Assert.True(load.Succeeded > 20, $"only {load.Succeeded} requests got through");
            Assert.Equal("2.0.0+bbbbbbb", load.LastVersion);
            Assert.Contains("1.0.0+aaaaaaa", load.Versions.Keys);
        }

        // The smoke checks through nginx: TLS trusted through the local CA only, the version compared.
        var target = SingleHostDeployer.PublicSmokeTarget(stack.Environment, "2.0.0+bbbbbbb");
        var passed = await SmokeTester.RunAsync(target);
        Assert.True(passed.Passed, passed.Table());
        Assert.Equal("3/3 checks passed", passed.Summary);
        var stale = await SmokeTester.RunAsync(target with { ExpectedVersion = "9.9.9", Retries = 1 });
        Assert.Equal("version 2.0.0+bbbbbbb, expected 9.9.9", Assert.Single(stale.Failures).Detail);
        var untrusted = await SmokeTester.RunAsync(target with { TrustedCaFile = null, Retries = 0 });
        Assert.Equal(3, untrusted.Failures.Count());
        Assert.Contains("remote certificate is invalid", untrusted.Failures.First().Detail, StringComparison.Ordinal);

        Assert.Equal(Colours.Blue, second.FromColour);
        Assert.Equal(Colours.Green, second.ToColour);
        Assert.Equal([$"{stack.Project}-local-api-green", $"{stack.Project}-local-nginx"], await stack.RunningAsync());

        var ledger = await (await ReleaseLedger.OpenAsync(stack.Docker, stack.Environment.Names)).ReadAsync();
        Assert.Equal(["1.0.0+aaaaaaa", "2.0.0+bbbbbbb"], ledger.Select(r => r.Version));
        Assert.All(ledger, r => Assert.Equal(ReleaseOutcome.Succeeded, r.Outcome));
        Assert.Equal("1.0.0+aaaaaaa", ledger[1].Previous);
        Assert.Equal(v2, ledger[1].Images["api"]);
    }

    [RegistryFact]
    public async Task A_new_colour_takes_traffic_once_its_health_endpoint_answers_not_when_dockers_healthcheck_first_runs()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        // Docker's first health check of the app would run only after an hour: the deploy must not wait for it.
        stack.Environment = stack.Environment with
        {
            Compose = stack.Environment.Compose with
            {
                Variables = new Dictionary<string, string>(stack.Environment.Compose.Variables) { ["APP_HEALTH_INTERVAL"] = "1h" },
            },
        };
        var v1 = await stack.PushAppAsync("1.0.0+aaaaaaa");

        var result = await stack.DeployAsync("1.0.0+aaaaaaa", v1);

        Assert.Equal(Colours.Blue, result.ToColour);
        var blue = await stack.Docker.Containers.InspectAsync($"{stack.Project}-local-api-blue");
        Assert.Equal("starting", blue.State.Health?.Status);
        Assert.True(result.HealthyAfter < stack.Environment.Health.Timeout, $"healthy after {result.HealthyAfter}");
    }

    [RegistryFact]
    public async Task A_v3_that_never_gets_healthy_is_rolled_back_automatically_while_v2_keeps_serving()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        var v2 = await stack.PushAppAsync("2.0.0+bbbbbbb");
        var v3 = await stack.PushAppAsync("3.0.0+ccccccc", healthy: false);
        await stack.DeployAsync("2.0.0+bbbbbbb", v2);

        using var client = stack.Client();
        var log = new List<string>();
        DeployFailedException failure;
        await using (var load = new LoadGenerator(client, stack.Environment.PublicUrl))
        {
            failure = await Assert.ThrowsAsync<DeployFailedException>(() => stack.DeployAsync("3.0.0+ccccccc", v3, log));
            await Task.Delay(500);
            await load.StopAsync();
            Assert.True(load.Failed == 0, $"{load.Failed} failed requests: {string.Join(" | ", load.Failures.Take(5))}");
            Assert.Equal(["2.0.0+bbbbbbb"], load.Versions.Keys);
        }

        Assert.True(failure.RolledBack);
        Assert.Contains("green (3.0.0+ccccccc) unhealthy", failure.Message, StringComparison.Ordinal);
        Assert.Contains("rolled back: blue still serving", failure.Message, StringComparison.Ordinal);
        Assert.Contains("last 20 lines of green's log", failure.Message, StringComparison.Ordinal);
        Assert.Equal([$"{stack.Project}-local-api-blue", $"{stack.Project}-local-nginx"], await stack.RunningAsync());

        var ledger = await (await ReleaseLedger.OpenAsync(stack.Docker, stack.Environment.Names)).ReadAsync();
        Assert.Equal(ReleaseOutcome.RolledBack, ledger[^1].Outcome);
        Assert.Equal("3.0.0+ccccccc", ledger[^1].Version);
        Assert.Equal("2.0.0+bbbbbbb", ReleaseLedger.Current(ledger)?.Version);
    }

    [RegistryFact]
    public async Task A_second_deploy_while_one_runs_is_refused_at_once_with_who_holds_the_lock()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        var v1 = await stack.PushAppAsync("1.0.0+aaaaaaa");

        var first = stack.DeployAsync("1.0.0+aaaaaaa", v1);
        var lockName = stack.Environment.Names.Lock;
        while (await stack.Docker.Containers.TryInspectAsync(lockName) is null && !first.IsCompleted)
            await Task.Delay(20);
        var refused = await Assert.ThrowsAsync<DeployLockedException>(() => stack.DeployAsync("1.0.0+aaaaaaa", v1));
        // At once: refused while the first still deploys, not after waiting for its lock.
        Assert.False(first.IsCompleted, "the second deploy was refused only after the first had finished");
        Assert.StartsWith($"local is being deployed by {Environment.UserName}@{Environment.MachineName} since ", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"(pid {Environment.ProcessId}), lease renewed until ", refused.Message, StringComparison.Ordinal);
        Assert.EndsWith(". Wait, or run ./build.sh Unlock --environment local --force if that deploy is dead.", refused.Message, StringComparison.Ordinal);

        await first;
        Assert.Null(await stack.Docker.Containers.TryInspectAsync(lockName));
    }

    [RegistryFact]
    public async Task A_deploy_killed_with_sigkill_before_the_switch_leaves_one_live_colour_and_unlock_and_deploy_again_converge()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        var v1 = await stack.PushAppAsync("1.0.0+aaaaaaa");
        var v2 = await stack.PushAppAsync("2.0.0+bbbbbbb");
        await stack.DeployAsync("1.0.0+aaaaaaa", v1);

        // v2 deployed by another process, killed once it holds the lock and green is up, before nginx is switched.
        int killed;
        const string greenStarted = "green (2.0.0+bbbbbbb) started next to blue";
        await using (var driver = DriverProcess.Start(new DeployOrder(stack.Environment, stack.Root, "2.0.0+bbbbbbb", v2, StallAfter: greenStarted), stack.Auth.Password))
        {
            await driver.WaitForLineAsync(l => l.Contains(greenStarted, StringComparison.Ordinal), TimeSpan.FromMinutes(3));
            Assert.Equal(128 + 9, await driver.KillAsync()); // 128 + SIGKILL: killed, not exited
            killed = driver.Id;
        }

        var names = stack.Environment.Names;
        Assert.Equal($"{names.Container("api-blue")}:8080", await NginxUpstream.ReadServerAsync(stack.Docker, names.Container("nginx"), stack.Environment.Compose.UpstreamFile));
        var serving = await SmokeTester.RunAsync(SingleHostDeployer.PublicSmokeTarget(stack.Environment, "1.0.0+aaaaaaa"));
        Assert.True(serving.Passed, serving.Table());
        Assert.Equal([names.Container("api-blue"), names.Container("api-green"), names.Container("nginx")], await stack.RunningAsync());
        var ledger = await ReleaseLedger.OpenAsync(stack.Docker, names);
        var left = (await ledger.ReadAsync())[^1];
        Assert.Equal(("2.0.0+bbbbbbb", ReleaseOutcome.InProgress), (left.Version, left.Outcome));

        var stale = await Assert.ThrowsAsync<DeployLockedException>(() => stack.DeployAsync("2.0.0+bbbbbbb", v2));
        Assert.Equal(killed, stale.Holder?.Pid);
        Assert.True(stale.Holder!.IsStale);
        Assert.Contains("that process is gone", stale.Message, StringComparison.Ordinal);
        Assert.Equal(killed, (await DeployLock.BreakAsync(stack.Docker, names, force: false))?.Pid);

        var log = new List<string>();
        using var client = stack.Client();
        await using (var load = new LoadGenerator(client, stack.Environment.PublicUrl))
        {
            var result = await stack.DeployAsync("2.0.0+bbbbbbb", v2, log);
            Assert.Equal((Colours.Blue, Colours.Green), (result.FromColour, result.ToColour));
            await Task.Delay(500);
            await load.StopAsync();
            Assert.True(load.Failed == 0, $"{load.Failed} failed requests: {string.Join(" | ", load.Failures.Take(5))}");
            Assert.Equal("2.0.0+bbbbbbb", load.LastVersion);
        }

        Assert.Equal([names.Container("api-green"), names.Container("nginx")], await stack.RunningAsync());
        Assert.Equal(
            [("1.0.0+aaaaaaa", ReleaseOutcome.Succeeded, null), ("2.0.0+bbbbbbb", ReleaseOutcome.Failed, ReleaseLedger.InterruptedNote), ("2.0.0+bbbbbbb", ReleaseOutcome.Succeeded, null)],
            (await ledger.ReadAsync()).Select(r => (r.Version, r.Outcome, r.Note)));
        Assert.Contains(log, l => l.StartsWith("the deploy of 2.0.0+bbbbbbb by ", StringComparison.Ordinal) && l.EndsWith("never finished: recorded as failed (interrupted)", StringComparison.Ordinal));
    }

    [RegistryFact]
    public async Task Rollback_restarts_the_kept_previous_colour_without_pulling_and_records_it()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        var v1 = await stack.PushAppAsync("1.0.0+aaaaaaa");
        var v2 = await stack.PushAppAsync("2.0.0+bbbbbbb");
        await stack.DeployAsync("1.0.0+aaaaaaa", v1);
        var plan = (BlueGreenPlan)await stack.Runner().PlanAsync(stack.Request("2.0.0+bbbbbbb", v2));
        Assert.Equal((Colours.Blue, Colours.Green), (plan.LiveColour, plan.NewColour));
        Assert.Contains($"app          api 2.0.0+bbbbbbb = {v2}", plan.Describe());
        Assert.Contains("colours      blue → green", plan.Describe());
        await stack.DeployAsync("2.0.0+bbbbbbb", v2);

        var unknown = await Assert.ThrowsAsync<DeployFailedException>(() => stack.RollbackAsync("9.9.9+fffffff"));
        Assert.Equal("version 9.9.9+fffffff never served local: pick one from ./build.sh Releases --environment local", unknown.Message);

        var log = new List<string>();
        using var client = stack.Client();
        await using (var load = new LoadGenerator(client, stack.Environment.PublicUrl))
        {
            var result = await stack.RollbackAsync(log: log);
            Assert.Equal(Colours.Blue, result.ToColour);
            await Task.Delay(500);
            await load.StopAsync();
            Assert.True(load.Failed == 0, $"{load.Failed} failed requests: {string.Join(" | ", load.Failures.Take(5))}");
            Assert.Equal("1.0.0+aaaaaaa", load.LastVersion);
        }

        Assert.Contains(log, l => l.Contains("restarted from its kept container", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.StartsWith("pulled", StringComparison.Ordinal));
        var ledger = await (await ReleaseLedger.OpenAsync(stack.Docker, stack.Environment.Names)).ReadAsync();
        Assert.Equal((ReleaseKind.Rollback, ReleaseOutcome.Succeeded, "1.0.0+aaaaaaa", null, "rollback from 2.0.0+bbbbbbb"), (ledger[^1].Kind, ledger[^1].Outcome, ledger[^1].Version, ledger[^1].Previous, ledger[^1].Note));
        Assert.Contains("* 1.0.0+aaaaaaa  rollback  succeeded", ReleaseLedger.Format(ledger), StringComparison.Ordinal);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DeployCollection
{
    public const string Name = "deploy on the real engine";
}
