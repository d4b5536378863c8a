using Slipway.Delivery.Deployment;
using Slipway.Delivery.Deployment.SmokeTests;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Xunit.Abstractions;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>
/// A deploy while another client keeps nginx's public rate limit full, on the real engine and the real
/// edge nginx. Behind docker-proxy that client and the deploy reach nginx from one address, one bucket:
/// the deploy's checks must neither be counted there nor fail the release when its public check gets 429s.
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class RateLimitedDeployTests(SwarmEngine swarm, ITestOutputHelper output) : IClassFixture<SwarmEngine>
{
    [RegistryFact]
    public async Task A_deploy_succeeds_while_another_client_saturates_the_public_rate_limit()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        var (result, log) = await DeployV2WhileSaturatedAsync(stack);

        Assert.Equal((Colours.Blue, Colours.Green), (result.FromColour, result.ToColour));
        var proxy = stack.Environment.Names.Container("nginx");
        Assert.Contains(log, l => l.StartsWith($"smoke through nginx: 4/4 checks passed (check listener in {proxy}, {stack.Environment.PublicUrl.GetLeftPart(UriPartial.Authority)})", StringComparison.Ordinal));
        Assert.Equal([$"{stack.Project}-local-api-green", proxy], await stack.RunningAsync());
    }

    [RegistryFact]
    public async Task A_swarm_deploy_succeeds_while_another_client_saturates_the_public_rate_limit()
    {
        await using var stack = await DeployTestStack.CreateAsync(await swarm.StartAsync(), DeployStrategy.Swarm);
        var (_, log) = await DeployV2WhileSaturatedAsync(stack);

        Assert.Contains(log, l => l.StartsWith("api updated (start-first): converged in", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.Contains("rolled back", StringComparison.Ordinal));
        Assert.Contains(log, l => l.StartsWith($"smoke through nginx: 4/4 checks passed (check listener in {stack.Environment.Names.SwarmService("nginx")}.1.", StringComparison.Ordinal));
        Assert.Equal("2.0.0+bbbbbbb", (await stack.Docker.Services.InspectAsync(stack.Environment.Names.SwarmService("api"))).Labels[StackContainers.VersionLabel]);
    }

    /// <summary>Deploys v1, fills the public limit from another client, deploys v2 meanwhile; the ledger must say it succeeded.</summary>
    private async Task<(DeployResult Result, List<string> Log)> DeployV2WhileSaturatedAsync(DeployTestStack stack)
    {
        var v1 = await stack.PushAppAsync("1.0.0+aaaaaaa");
        var v2 = await stack.PushAppAsync("2.0.0+bbbbbbb");
        await stack.DeployAsync("1.0.0+aaaaaaa", v1);

        using var client = stack.Client();
        var log = new List<string>();
        DeployResult result;
        int limitedDuring;
        string counts;
        await using (var saturator = new RateLimitSaturator(client, stack.Environment.PublicUrl))
        {
            await saturator.SaturatedAsync();
            var limitedBefore = saturator.Limited;
            result = await stack.DeployAsync("2.0.0+bbbbbbb", v2, log);
            limitedDuring = saturator.Limited - limitedBefore;
            counts = saturator.Counts;
        }

        output.WriteLine($"saturating client: {counts}; {limitedDuring} limited during the deploy");
        foreach (var line in log)
            output.WriteLine(line);

        Assert.True(limitedDuring > 0, $"the saturating client got no 429 during the deploy ({counts}): the test proved nothing");
        var ledger = await (await ReleaseLedger.OpenAsync(stack.Docker, stack.Environment.Names)).ReadAsync();
        Assert.Equal((ReleaseOutcome.Succeeded, "2.0.0+bbbbbbb"), (ledger[^1].Outcome, ledger[^1].Version));
        return (result, log);
    }

    [RegistryFact]
    public async Task The_check_listener_answers_only_inside_the_proxy_container()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        await stack.DeployAsync("1.0.0+aaaaaaa", await stack.PushAppAsync("1.0.0+aaaaaaa"));
        var proxy = stack.Environment.Names.Container("nginx");

        var (listener, missing) = await ProxyCheckListener.FindAsync(stack.Docker, stack.Environment);
        var loopback = await stack.Docker.Containers.ExecAsync(proxy, ["bash", "-c", $"exec 3<>/dev/tcp/127.0.0.1/{ProxyCheckListener.Port}"]);
        // The address docker-proxy forwards published ports to: nothing of the check listener there.
        var network = await stack.Docker.Containers.ExecAsync(proxy, ["bash", "-c", $"exec 3<>/dev/tcp/$(hostname -i | cut -d' ' -f1)/{ProxyCheckListener.Port}"]);
        var published = await stack.Docker.Containers.InspectAsync(proxy);

        Assert.True(listener is not null, missing);
        Assert.True(loopback.Succeeded, loopback.StandardError);
        Assert.False(network.Succeeded, "the check listener answers on the container's network address");
        Assert.Contains("Connection refused", network.StandardError, StringComparison.Ordinal);
        Assert.Null(published.HostPort(ProxyCheckListener.Port));
        var report = await SmokeTester.RunAsync(listener.Target("1.0.0+aaaaaaa", stack.Environment.Smoke));
        Assert.True(report.Passed, report.Table());
        Assert.Equal("3/3 checks passed", report.Summary);
    }
}
