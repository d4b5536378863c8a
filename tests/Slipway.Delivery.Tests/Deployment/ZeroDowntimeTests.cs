using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Deployment.TestStack;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>
/// Issue 11: every kind of change a release manager ships, one after the other on the same environment, each under a
/// load that mixes keep-alive clients and fresh connections (about 35 requests a second through the real edge nginx,
/// below its rate limit), with 0 failed requests for every one. Releases differ as real ones do: a new commit brings a
/// new app image and a new edge image (its configuration and landing page).
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class ZeroDowntimeTests
{
    [RegistryFact]
    public async Task Every_kind_of_change_in_sequence_drops_no_request_and_never_restarts_nginx()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        var names = stack.Environment.Names;
        var proxy = await ChangeSequence.StartAsync(stack);
        var nginx = (await stack.Docker.Containers.InspectAsync(names.Container("nginx"))).Id;

        await proxy.ShipEveryKindOfChangeAsync();

        // nginx served every step from the container of the first deploy: never recreated, never restarted.
        var after = await stack.Docker.Containers.InspectAsync(names.Container("nginx"));
        Assert.Equal((nginx, true), (after.Id, after.State.Running));
        var ledger = await (await ReleaseLedger.OpenAsync(stack.Docker, names)).ReadAsync();
        Assert.Equal(proxy.Edge1, ledger.Last(r => r.Outcome == ReleaseOutcome.Succeeded).Images["nginx"]);
    }

    [RegistryFact]
    public async Task A_changed_infrastructure_or_proxy_runtime_stops_the_deploy_before_anything_changes_unless_asked()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        var v1 = await stack.PushAppAsync("1.0.0+aaaaaaa");
        var v2 = await stack.PushAppAsync("2.0.0+bbbbbbb");
        var edge = await stack.PushEdgeAsync("e1");
        var newRuntime = await stack.PushEdgeAsync("e2", dockerfileLine: "LABEL org.example.runtime-change=\"healthcheck tuned\"");
        stack.UseEdge(edge);
        await stack.DeployAsync("1.0.0+aaaaaaa", v1);
        var names = stack.Environment.Names;
        var nginx = (await stack.Docker.Containers.InspectAsync(names.Container("nginx"))).Id;

        stack.UseEdge(newRuntime);
        var refused = await Assert.ThrowsAsync<DeployFailedException>(() => stack.DeployAsync("2.0.0+bbbbbbb", v2));
        Assert.StartsWith("the deploy would recreate nginx's runtime (base of ", refused.Message, StringComparison.Ordinal);
        Assert.EndsWith("nothing was changed. Run it again with --recreate-infrastructure to do that", refused.Message, StringComparison.Ordinal);
        Assert.Equal(nginx, (await stack.Docker.Containers.InspectAsync(names.Container("nginx"))).Id);
        Assert.Equal([names.Container("api-blue"), names.Container("nginx")], await stack.RunningAsync());
        Assert.Equal(["1.0.0+aaaaaaa"], (await (await ReleaseLedger.OpenAsync(stack.Docker, names)).ReadAsync()).Select(r => r.Version));

        var log = new List<string>();
        var result = await stack.DeployAsync("2.0.0+bbbbbbb", v2, log, recreateInfrastructure: true);
        Assert.Equal(Colours.Green, result.ToColour);
        Assert.Contains(log, l => l.StartsWith("recreating, as --recreate-infrastructure asks: nginx's runtime", StringComparison.Ordinal));
        Assert.NotEqual(nginx, (await stack.Docker.Containers.InspectAsync(names.Container("nginx"))).Id);
    }
}

/// <summary>The same sequence on a real single-node swarm (a second engine of our own): nginx a swarm service published in host mode.</summary>
[Collection(DeployCollection.Name)]
public sealed class SwarmZeroDowntimeTests(SwarmEngine swarm) : IClassFixture<SwarmEngine>
{
    [RegistryFact]
    public async Task Every_kind_of_change_in_sequence_drops_no_request_and_never_replaces_the_nginx_task()
    {
        await using var stack = await DeployTestStack.CreateAsync(await swarm.StartAsync(), DeployStrategy.Swarm);
        var sequence = await ChangeSequence.StartAsync(stack);
        var nginx = Assert.Single(await stack.RunningAsync("nginx"));

        await sequence.ShipEveryKindOfChangeAsync();

        Assert.Equal([nginx], await stack.RunningAsync("nginx"));
    }
}

/// <summary>
/// Releases as a release manager ships them, from 1.0.0 with edge e1 deployed: app only (2.0.0); nginx configuration only
/// (edge e2); both (3.0.0 with e3); a release that crashes at start; one that starts but fails smoke (its edge drops the
/// security headers); Rollback (to 2.0.0 with e2, what served before 3.0.0); Rollback again (2.0.0 with e1).
/// </summary>
internal sealed class ChangeSequence
{
    private readonly DeployTestStack stack;
    private readonly Dictionary<string, string> apps;
    private readonly Dictionary<string, string> edges;

    private ChangeSequence(DeployTestStack stack, Dictionary<string, string> apps, Dictionary<string, string> edges)
    {
        this.stack = stack;
        this.apps = apps;
        this.edges = edges;
    }

    public string Edge1 => edges["e1"];

    /// <summary>Pushes every release's images, then deploys 1.0.0 with edge e1.</summary>
    public static async Task<ChangeSequence> StartAsync(DeployTestStack stack)
    {
        var edges = new Dictionary<string, string>();
        foreach (var release in new[] { "e1", "e2", "e3" })
            edges[release] = await stack.PushEdgeAsync(release);
        edges["e4-broken"] = await stack.PushEdgeAsync("e4-broken", withoutSecurityHeaders: true);
        var apps = new Dictionary<string, string>();
        foreach (var version in new[] { "1.0.0+aaaaaaa", "2.0.0+bbbbbbb", "3.0.0+ccccccc", "5.0.0+eeeeeee" })
            apps[version] = await stack.PushAppAsync(version);
        apps["4.0.0+ddddddd"] = await stack.PushAppAsync("4.0.0+ddddddd", crashes: true);
        var sequence = new ChangeSequence(stack, apps, edges);
        stack.UseEdge(edges["e1"]);
        await stack.DeployAsync("1.0.0+aaaaaaa", apps["1.0.0+aaaaaaa"]);
        return sequence;
    }

    public async Task ShipEveryKindOfChangeAsync()
    {
        await UnderLoadAsync("app only", () => DeployAsync("2.0.0+bbbbbbb", "e1"), "2.0.0+bbbbbbb", "e1");

        var log = new List<string>();
        await UnderLoadAsync("nginx configuration only", () => DeployAsync("2.0.0+bbbbbbb", "e2", log), "2.0.0+bbbbbbb", "e2");
        Assert.Contains(log, l => l.Contains("by graceful reload", StringComparison.Ordinal) && l.Contains("not restarted", StringComparison.Ordinal));

        await UnderLoadAsync("app and nginx", () => DeployAsync("3.0.0+ccccccc", "e3"), "3.0.0+ccccccc", "e3");

        await UnderLoadAsync("crash at start", async () =>
        {
            var failure = await Assert.ThrowsAsync<DeployFailedException>(() => DeployAsync("4.0.0+ddddddd", "e3"));
            Assert.True(failure.RolledBack, failure.Message);
            Assert.Contains("4.0.0+ddddddd", failure.Message, StringComparison.Ordinal);
        }, "3.0.0+ccccccc", "e3");

        await UnderLoadAsync("fails smoke", async () =>
        {
            var failure = await Assert.ThrowsAsync<DeployFailedException>(() => DeployAsync("5.0.0+eeeeeee", "e4-broken"));
            Assert.Contains("smoke checks through nginx failed", failure.Message, StringComparison.Ordinal);
            Assert.True(failure.RolledBack, failure.Message);
        }, "3.0.0+ccccccc", "e3");

        // Rollback walks back to what served before 3.0.0 was deployed: 2.0.0 with the edge of that time (e2); again:
        // 2.0.0 as it was before its nginx-only release (e1). The proxy's configuration goes back with the app.
        await UnderLoadAsync("rollback", () => stack.RollbackAsync(), "2.0.0+bbbbbbb", "e2");
        await UnderLoadAsync("rollback again", () => stack.RollbackAsync(), "2.0.0+bbbbbbb", "e1");
    }

    private Task<DeployResult> DeployAsync(string version, string edge, List<string>? log = null)
    {
        stack.UseEdge(edges[edge]);
        return stack.DeployAsync(version, apps[version], log);
    }

    /// <summary>Runs one step under load and checks that no request failed and what serves afterwards.</summary>
    private async Task UnderLoadAsync(string step, Func<Task> change, string version, string edgeRelease)
    {
        var label = $"{stack.Environment.Strategy}: {step}";
        using var client = stack.Client();
        await using var load = new LoadGenerator(client, stack.Environment.PublicUrl);
        await Task.Delay(300);
        await change();
        await Task.Delay(700);
        await load.StopAsync();
        Assert.True(load.Failed == 0, $"{label}: {load.Failed} of {load.Succeeded + load.Failed} requests failed: {string.Join(" | ", load.Failures.Take(5))}");
        Assert.True(load.Fresh > 5 && load.Succeeded - load.Fresh > 20, $"{label}: too little load ({load.Succeeded} requests, {load.Fresh} on fresh connections)");
        Assert.Equal((version, edgeRelease), (load.LastVersion, load.LastEdgeRelease));
    }
}
