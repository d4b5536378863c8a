using Slipway.Delivery.Deployment;
using Slipway.Delivery.Tests.Deployment.TestStack;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>
/// Issue 11: every kind of change a release manager ships, one after the other on the same single-host environment,
/// each under a load that mixes keep-alive clients and fresh connections (about 35 requests a second through the
/// real edge nginx, below its rate limit), with 0 failed requests for every one. Releases differ as real ones do:
/// a new commit brings a new app image and a new edge image (its configuration and landing page).
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class ZeroDowntimeTests
{
    [RegistryFact]
    public async Task Every_kind_of_change_in_sequence_drops_no_request_and_never_restarts_nginx()
    {
        await using var stack = await DeployTestStack.CreateAsync();
        var edge1 = await stack.PushEdgeAsync("e1");
        var edge2 = await stack.PushEdgeAsync("e2");
        var edge3 = await stack.PushEdgeAsync("e3");
        var brokenEdge = await stack.PushEdgeAsync("e4-broken", withoutSecurityHeaders: true);
        var v1 = await stack.PushAppAsync("1.0.0+aaaaaaa");
        var v2 = await stack.PushAppAsync("2.0.0+bbbbbbb");
        var v3 = await stack.PushAppAsync("3.0.0+ccccccc");
        var crashing = await stack.PushAppAsync("4.0.0+ddddddd", crashes: true);
        var v5 = await stack.PushAppAsync("5.0.0+eeeeeee");
        var names = stack.Environment.Names;
        using var client = stack.Client();

        stack.UseEdge(edge1);
        await stack.DeployAsync("1.0.0+aaaaaaa", v1);
        var nginx = (await stack.Docker.Containers.InspectAsync(names.Container("nginx"))).Id;

        // App only: a new app image, the same edge release.
        await UnderLoadAsync(stack, client, "app only", () => stack.DeployAsync("2.0.0+bbbbbbb", v2), "2.0.0+bbbbbbb", "e1");

        // nginx configuration only: the same app, a new edge image.
        stack.UseEdge(edge2);
        var log = new List<string>();
        await UnderLoadAsync(stack, client, "nginx configuration only", () => stack.DeployAsync("2.0.0+bbbbbbb", v2, log), "2.0.0+bbbbbbb", "e2");
        Assert.Contains(log, l => l.Contains("by graceful reload", StringComparison.Ordinal) && l.Contains("not restarted", StringComparison.Ordinal));

        // App and nginx together, as a new commit ships them.
        stack.UseEdge(edge3);
        await UnderLoadAsync(stack, client, "app and nginx", () => stack.DeployAsync("3.0.0+ccccccc", v3), "3.0.0+ccccccc", "e3");

        // A release that crashes at start: refused before any traffic moves.
        await UnderLoadAsync(stack, client, "crash at start", async () =>
        {
            var failure = await Assert.ThrowsAsync<DeployFailedException>(() => stack.DeployAsync("4.0.0+ddddddd", crashing));
            // With its restart policy the engine restarts it: it is either seen exited or failing its health check.
            Assert.Matches(@"^blue \(4\.0\.0\+ddddddd\) (exited with code|unhealthy after)", failure.Message);
            Assert.True(failure.RolledBack);
        }, "3.0.0+ccccccc", "e3");

        // A release that starts but fails smoke through nginx (its edge drops the security headers): switched back,
        // the previous edge release included.
        stack.UseEdge(brokenEdge);
        await UnderLoadAsync(stack, client, "fails smoke", async () =>
        {
            var failure = await Assert.ThrowsAsync<DeployFailedException>(() => stack.DeployAsync("5.0.0+eeeeeee", v5));
            Assert.Contains("smoke checks through", failure.Message, StringComparison.Ordinal);
            Assert.True(failure.RolledBack);
        }, "3.0.0+ccccccc", "e3");

        // Rollback walks back to what served before 3.0.0 was deployed: 2.0.0 with the edge of that time (e2); again:
        // 2.0.0 as it was before its nginx-only release (e1). The proxy's configuration goes back with the app.
        await UnderLoadAsync(stack, client, "rollback", () => stack.RollbackAsync(), "2.0.0+bbbbbbb", "e2");
        await UnderLoadAsync(stack, client, "rollback again", () => stack.RollbackAsync(), "2.0.0+bbbbbbb", "e1");

        // nginx served every step from the container of the first deploy: never recreated, never restarted.
        var after = await stack.Docker.Containers.InspectAsync(names.Container("nginx"));
        Assert.Equal(nginx, after.Id);
        Assert.True(after.State.Running);
        var ledger = await (await ReleaseLedger.OpenAsync(stack.Docker, names)).ReadAsync();
        Assert.Equal(edge1, ledger.Last(r => r.Outcome == ReleaseOutcome.Succeeded).Images["nginx"]);
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

    /// <summary>Runs one step under load and checks that no request failed and what serves afterwards.</summary>
    internal static async Task UnderLoadAsync(DeployTestStack stack, HttpClient client, string step, Func<Task> deploy, string version, string edgeRelease)
    {
        await using var load = new LoadGenerator(client, stack.Environment.PublicUrl);
        await Task.Delay(300);
        await deploy();
        await Task.Delay(700);
        await load.StopAsync();
        Assert.True(load.Failed == 0, $"{step}: {load.Failed} of {load.Succeeded + load.Failed} requests failed: {string.Join(" | ", load.Failures.Take(5))}");
        Assert.True(load.Fresh > 5 && load.Succeeded - load.Fresh > 20, $"{step}: too little load ({load.Succeeded} requests, {load.Fresh} on fresh connections)");
        Assert.Equal((version, edgeRelease), (load.LastVersion, load.LastEdgeRelease));
    }
}

/// <summary>The same sequence on a real single-node swarm (a second engine of our own): nginx a swarm service published in host mode.</summary>
[Collection(DeployCollection.Name)]
public sealed class SwarmZeroDowntimeTests(SwarmEngine swarm) : IClassFixture<SwarmEngine>
{
    [RegistryFact]
    public async Task Every_kind_of_change_in_sequence_drops_no_request_and_never_replaces_the_nginx_task()
    {
        await using var stack = await DeployTestStack.CreateAsync(await swarm.StartAsync(), Environments.DeployStrategy.Swarm);
        var edge1 = await stack.PushEdgeAsync("e1");
        var edge2 = await stack.PushEdgeAsync("e2");
        var edge3 = await stack.PushEdgeAsync("e3");
        var brokenEdge = await stack.PushEdgeAsync("e4-broken", withoutSecurityHeaders: true);
        var v1 = await stack.PushAppAsync("1.0.0+aaaaaaa");
        var v2 = await stack.PushAppAsync("2.0.0+bbbbbbb");
        var v3 = await stack.PushAppAsync("3.0.0+ccccccc");
        var crashing = await stack.PushAppAsync("4.0.0+ddddddd", crashes: true);
        var v5 = await stack.PushAppAsync("5.0.0+eeeeeee");
        using var client = stack.Client();

        stack.UseEdge(edge1);
        await stack.DeployAsync("1.0.0+aaaaaaa", v1);
        var nginx = Assert.Single(await stack.RunningAsync("nginx"));
        // The first task serves the image's own configuration until the first hand-over: make it the release's now.
        await ZeroDowntimeTests.UnderLoadAsync(stack, client, "swarm: app only", () => stack.DeployAsync("2.0.0+bbbbbbb", v2), "2.0.0+bbbbbbb", "e1");

        stack.UseEdge(edge2);
        var log = new List<string>();
        await ZeroDowntimeTests.UnderLoadAsync(stack, client, "swarm: nginx configuration only", () => stack.DeployAsync("2.0.0+bbbbbbb", v2, log), "2.0.0+bbbbbbb", "e2");
        Assert.Contains(log, l => l.Contains("by graceful reload", StringComparison.Ordinal));

        stack.UseEdge(edge3);
        await ZeroDowntimeTests.UnderLoadAsync(stack, client, "swarm: app and nginx", () => stack.DeployAsync("3.0.0+ccccccc", v3), "3.0.0+ccccccc", "e3");

        await ZeroDowntimeTests.UnderLoadAsync(stack, client, "swarm: crash at start", async () =>
        {
            var failure = await Assert.ThrowsAsync<DeployFailedException>(() => stack.DeployAsync("4.0.0+ddddddd", crashing));
            Assert.True(failure.RolledBack, failure.Message);
        }, "3.0.0+ccccccc", "e3");

        stack.UseEdge(brokenEdge);
        await ZeroDowntimeTests.UnderLoadAsync(stack, client, "swarm: fails smoke", async () =>
        {
            var failure = await Assert.ThrowsAsync<DeployFailedException>(() => stack.DeployAsync("5.0.0+eeeeeee", v5));
            Assert.Contains("smoke checks through", failure.Message, StringComparison.Ordinal);
            Assert.True(failure.RolledBack);
        }, "3.0.0+ccccccc", "e3");

        await ZeroDowntimeTests.UnderLoadAsync(stack, client, "swarm: rollback", () => stack.RollbackAsync(), "2.0.0+bbbbbbb", "e2");
        await ZeroDowntimeTests.UnderLoadAsync(stack, client, "swarm: rollback again", () => stack.RollbackAsync(), "2.0.0+bbbbbbb", "e1");
        Assert.Equal([nginx], await stack.RunningAsync("nginx"));
    }
}
