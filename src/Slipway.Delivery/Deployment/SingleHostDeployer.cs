using System.Diagnostics;
using System.Globalization;
using Slipway.Delivery.Deployment.SmokeTests;
using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// Blue-green on one engine behind nginx. The live colour is whatever nginx's upstream include points
/// at; a deploy brings up the other colour next to it, checks it, switches nginx with a graceful
/// reload, drains, and stops (but keeps) the old colour. Any failure before the switch leaves the old
/// colour serving untouched; a failure after it switches back.
/// </summary>
public sealed class SingleHostDeployer
{
    private readonly DockerClient docker;
    private readonly DeployEnvironment environment;
    private readonly ComposeStack stack;
    private readonly StackContainers containers;
    private readonly Action<string> log;

    private SingleHostDeployer(DockerClient docker, DeployEnvironment environment, ComposeStack stack, RegistryAuth? auth, Action<string> log)
    {
        this.docker = docker;
        this.environment = environment;
        this.stack = stack;
        this.log = log;
        containers = new StackContainers(docker, environment, stack, auth, log);
    }

    private StackNames Names => environment.Names;

    private ComposeSettings Compose => environment.Compose;

    /// <summary>Reads the compose files and the engine's live colour; changes nothing.</summary>
    public static async Task<DeployPlan> PlanAsync(DockerClient docker, DeployRequest request, CancellationToken ct = default)
    {
        var stack = LoadStack(request.Environment, request.RepositoryRoot, request.AppImage, request.Version, request.Variables);
        var settings = request.Environment.Compose;
        var app = stack.Service(settings.AppService);
        var proxy = stack.Service(settings.ProxyService);
        var live = Colours.Of(await LiveServerAsync(docker, request.Environment, ct).ConfigureAwait(false));
        var infrastructure = stack.StartOrder().Where(s => s.Name != app.Name && s.Name != proxy.Name).ToArray();
        return new DeployPlan(request.Environment, request.Version, request.AppImage, stack, live, Colours.Other(live), infrastructure, app, proxy);
    }

    /// <summary>Deploys under the environment's lock and records the outcome in its ledger.</summary>
    public static async Task<DeployResult> DeployAsync(DockerClient docker, DeployRequest request, Action<string> log, CancellationToken ct = default)
    {
        await using var deployLock = await DeployLock.AcquireAsync(docker, request.Environment.Names, request.Who, ct).ConfigureAwait(false);
        var plan = await PlanAsync(docker, request, ct).ConfigureAwait(false);
        var ledger = await ReleaseLedger.OpenHoldingLockAsync(docker, request.Environment.Names, log, ct).ConfigureAwait(false);
        var previous = ReleaseLedger.Current(await ledger.ReadAsync(ct).ConfigureAwait(false));
        var release = new Release(request.Version, ReleaseKind.Deploy, plan.NewColour, request.Who.Who + "@" + request.Who.Host, DateTimeOffset.UtcNow, null,
            new Dictionary<string, string> { [plan.App.Name] = request.AppImage }, null, ReleaseOutcome.InProgress,
            plan.LiveColour is null ? null : previous?.Version);
        await ledger.RecordAsync(release, ct).ConfigureAwait(false);

        var deployer = new SingleHostDeployer(docker, request.Environment, plan.Stack, request.RegistryAuth, log);
        try
        {
            await deployer.containers.EnsureNetworksAndVolumesAsync(ct).ConfigureAwait(false);
            await deployer.containers.PullAsync(request.AppImage, always: true, ct).ConfigureAwait(false);
            foreach (var service in plan.Infrastructure)
                await deployer.containers.EnsureServiceAsync(service, request.Environment.Health.Timeout, ct).ConfigureAwait(false);
            var serving = plan.LiveColour is null ? "nothing was serving" : $"{plan.LiveColour} still serving";
            release = release with { MigrationVersion = await new ReleasePhase(docker, request, plan.Stack, log).RunAsync(plan.App, serving, ct).ConfigureAwait(false) };
            var result = await deployer.SwitchAsync(plan, release, ct).ConfigureAwait(false);
            await ledger.RecordAsync(result.Release, ct).ConfigureAwait(false);
            return result;
        }
        catch (Exception e)
        {
            // Whatever stopped the deploy (a failed check, the engine, Ctrl+C), the ledger says how it ended.
            await ledger.RecordFailureAsync(release, ReleaseLedger.OutcomeOf(e), e).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Goes back to a release in the ledger whose image is still on the engine (the previous one by
    /// default), without pulling or rebuilding; the stopped colour is simply started again when it still runs that release.
    /// </summary>
    public static async Task<DeployResult> RollbackAsync(DockerClient docker, DeployEnvironment environment, string repositoryRoot, IReadOnlyDictionary<string, string> variables, string? toVersion, Action<string> log, CancellationToken ct = default)
    {
        var who = LockHolder.Current();
        await using var deployLock = await DeployLock.AcquireAsync(docker, environment.Names, who, ct).ConfigureAwait(false);
        var ledger = await ReleaseLedger.OpenHoldingLockAsync(docker, environment.Names, log, ct).ConfigureAwait(false);
        var (current, target, appImage) = await ledger.ChooseRollbackAsync(toVersion, environment.Names.Environment, environment.Compose.AppService, ct).ConfigureAwait(false);
        if (await docker.Images.TryInspectAsync(appImage, ct).ConfigureAwait(false) is null)
            throw new DeployFailedException($"{appImage} of release {target.Version} is no longer on the engine: deploy that version again instead");

        var request = new DeployRequest(environment, repositoryRoot, target.Version, appImage, null, variables);
        var plan = await PlanAsync(docker, request, ct).ConfigureAwait(false);
        var release = new Release(target.Version, ReleaseKind.Rollback, plan.NewColour, who.Who + "@" + who.Host, DateTimeOffset.UtcNow, null,
            target.Images, target.MigrationVersion, ReleaseOutcome.InProgress, current?.Version, $"rollback to {target.Version}");
        await ledger.RecordAsync(release, ct).ConfigureAwait(false);
        var deployer = new SingleHostDeployer(docker, environment, plan.Stack, null, log);
        try
        {
            var result = await deployer.SwitchAsync(plan, release, ct).ConfigureAwait(false);
            await ledger.RecordAsync(result.Release, ct).ConfigureAwait(false);
            return result;
        }
        catch (Exception e)
        {
            await ledger.RecordFailureAsync(release, ReleaseOutcome.Failed, e).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Bring up <see cref="DeployPlan.NewColour"/>, check it, switch nginx, drain, stop the old colour.</summary>
    private async Task<DeployResult> SwitchAsync(DeployPlan plan, Release release, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var newName = Names.Container($"{plan.App.Name}-{plan.NewColour}");
        var oldName = plan.LiveColour is null ? null : Names.Container($"{plan.App.Name}-{plan.LiveColour}");
        await StartColourAsync(plan, newName, ct).ConfigureAwait(false);

        var (problem, healthyAfter) = await containers.WaitHealthyAsync(newName, environment.Health.Timeout, ct, await DirectUrlAsync(newName, ct).ConfigureAwait(false) is { } direct ? new Uri(direct, SmokeTester.HealthPath) : null).ConfigureAwait(false);
        if (problem is null)
        {
            var smokeDirect = await SmokeDirectAsync(newName, plan.Version, ct).ConfigureAwait(false);
            if (!smokeDirect.Passed)
                problem = "smoke checks against it failed: " + string.Join("; ", smokeDirect.Failures.Select(f => $"{f.Name} → {f.Detail}"));
        }

        if (problem is not null)
            throw await AbandonAsync(plan, newName, problem, ct).ConfigureAwait(false);
        log($"{plan.NewColour} healthy in {healthyAfter.TotalSeconds:0.0} s and answering directly");

        var server = $"{newName}:{Compose.AppPort}";
        await EnsureProxyAsync(plan, server, ct).ConfigureAwait(false);
        log($"nginx switched to {plan.NewColour} (graceful reload)");

        var smoke = await SmokeTester.RunAsync(PublicTarget(plan.Version), ct).ConfigureAwait(false);
        if (!smoke.Passed)
        {
            var details = string.Join("; ", smoke.Failures.Select(f => $"{f.Name} → {f.Detail}"));
            if (oldName is not null)
            {
                await docker.Containers.StartAsync(oldName, ct).ConfigureAwait(false);
                await NginxUpstream.SwitchAsync(docker, ProxyName, Compose.UpstreamFile, $"{oldName}:{Compose.AppPort}", ProxyOwner(plan), await ProxyArgumentsAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            }

            throw await AbandonAsync(plan, newName, $"smoke checks through {environment.PublicUrl} failed after the switch: {details}", ct).ConfigureAwait(false);
        }

        log($"smoke through {environment.PublicUrl}: {smoke.Summary}");
        if (oldName is not null)
        {
            await Task.Delay(environment.Drain, ct).ConfigureAwait(false);
            await docker.Containers.StopAsync(oldName, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            log($"{plan.LiveColour} drained for {environment.Drain.TotalSeconds:0.#} s and stopped (kept for rollback)");
        }

        return new DeployResult(release with { Outcome = ReleaseOutcome.Succeeded, FinishedAt = DateTimeOffset.UtcNow }, plan.LiveColour, plan.NewColour, healthyAfter, clock.Elapsed);
    }

    /// <summary>Starts the new colour: the existing stopped container when it already runs this image (instant rollback), else a fresh one.</summary>
    private async Task StartColourAsync(DeployPlan plan, string name, CancellationToken ct)
    {
        var labels = new Dictionary<string, string>
        {
            [StackContainers.ColourLabel] = plan.NewColour,
            [StackContainers.VersionLabel] = plan.Version,
        };
        // The colour is published on loopback only, so the deploy can check it before nginx sends it traffic.
        var spec = containers.Spec(plan.App, name, plan.AppImage, labels, [new PortBinding(Compose.AppPort, 0, "127.0.0.1")]);
        var existing = await docker.Containers.TryInspectAsync(name, ct).ConfigureAwait(false);
        if (existing is not null && existing.Config.Labels?.GetValueOrDefault(StackContainers.SpecLabel) == spec.Labels[StackContainers.SpecLabel])
        {
            await docker.Containers.StartAsync(name, ct).ConfigureAwait(false);
            log($"{plan.NewColour} ({plan.Version}) restarted from its kept container");
            return;
        }

        if (existing is not null)
            await docker.Containers.RemoveAsync(name, force: true, ct: ct).ConfigureAwait(false);
        await docker.Containers.CreateAsync(spec, ct).ConfigureAwait(false);
        await docker.Containers.StartAsync(name, ct).ConfigureAwait(false);
        log($"{plan.NewColour} ({plan.Version}) started next to {plan.LiveColour ?? "nothing"}");
    }

    private async Task<SmokeReport> SmokeDirectAsync(string container, string version, CancellationToken ct)
    {
        var url = await DirectUrlAsync(container, ct).ConfigureAwait(false) ?? throw new DeployFailedException($"{container} has no loopback port for {Compose.AppPort}");
        return await SmokeTester.RunAsync(new SmokeTarget(url, version, null, false,
            environment.Smoke.Timeout, environment.Smoke.Retries, environment.Smoke.InitialBackoff), ct).ConfigureAwait(false);
    }

    /// <summary>The app container's own port, published on the engine's loopback: where a colour is checked before it takes traffic.</summary>
    private async Task<Uri?> DirectUrlAsync(string container, CancellationToken ct)
    {
        var inspect = await docker.Containers.InspectAsync(container, ct).ConfigureAwait(false);
        var host = docker.Endpoint.TcpUri?.Host ?? "127.0.0.1";
        return inspect.HostPort(Compose.AppPort) is { } port ? new Uri($"http://{host}:{port.ToString(CultureInfo.InvariantCulture)}") : null;
    }

    public SmokeTarget PublicTarget(string version) => PublicSmokeTarget(environment, version);

    public static SmokeTarget PublicSmokeTarget(DeployEnvironment environment, string version) =>
        new(environment.PublicUrl, version, environment.TrustedCaFile, true, environment.Smoke.Timeout, environment.Smoke.Retries, environment.Smoke.InitialBackoff);

    private string ProxyName => Names.Container(Compose.ProxyService);

    /// <summary>Creates nginx pointing at <paramref name="server"/> on first deploy (or when its configuration changed), else switches it.</summary>
    private async Task EnsureProxyAsync(DeployPlan plan, string server, CancellationToken ct)
    {
        await containers.PullAsync(plan.Proxy.Image, always: false, ct).ConfigureAwait(false);
        var spec = containers.Spec(plan.Proxy, ProxyName, plan.Proxy.Image, new Dictionary<string, string>(), plan.Proxy.Ports);
        var existing = await docker.Containers.TryInspectAsync(ProxyName, ct).ConfigureAwait(false);
        if (existing is { State.Running: true } && existing.Config.Labels?.GetValueOrDefault(StackContainers.SpecLabel) == spec.Labels[StackContainers.SpecLabel])
        {
            await NginxUpstream.SwitchAsync(docker, ProxyName, Compose.UpstreamFile, server, ProxyOwner(plan), await ProxyArgumentsAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            return;
        }

        if (existing is not null)
        {
            await docker.Containers.RemoveAsync(ProxyName, force: true, ct: ct).ConfigureAwait(false);
            log($"{plan.Proxy.Name} configuration changed: recreating it");
        }

        await docker.Containers.CreateAsync(spec, ct).ConfigureAwait(false);
        await NginxUpstream.WriteAsync(docker, ProxyName, Compose.UpstreamFile, server, ProxyOwner(plan), ct).ConfigureAwait(false);
        await docker.Containers.StartAsync(ProxyName, ct).ConfigureAwait(false);
        var (problem, _) = await containers.WaitHealthyAsync(ProxyName, environment.Health.Timeout, ct).ConfigureAwait(false);
        if (problem is not null)
            throw new DeployFailedException($"{plan.Proxy.Name} is not healthy: {problem}. Last lines of its log:\n{await containers.LastLogLinesAsync(ProxyName, 20, ct).ConfigureAwait(false)}");
        log($"{plan.Proxy.Name} created, healthy, pointing at {plan.NewColour}");
    }

    private async Task<IReadOnlyList<string>> ProxyArgumentsAsync(CancellationToken ct)
    {
        var proxy = stack.Service(Compose.ProxyService);
        var command = proxy.Command ?? (await docker.Images.InspectAsync(proxy.Image, ct).ConfigureAwait(false)).Config?.Cmd;
        return NginxUpstream.ConfigArguments(command);
    }

    /// <summary>The uid:gid nginx runs as, so the rewritten include stays readable and rewritable by it.</summary>
    private static FileOwner? ProxyOwner(DeployPlan plan) =>
        plan.Proxy.User?.Split(':') is [var uid, var gid] && int.TryParse(uid, CultureInfo.InvariantCulture, out var u) && int.TryParse(gid, CultureInfo.InvariantCulture, out var g)
            ? new FileOwner(u, g)
            : null;

    /// <summary>Removes the failed colour (after keeping its last log lines); the live colour was never touched.</summary>
    private async Task<DeployFailedException> AbandonAsync(DeployPlan plan, string newName, string problem, CancellationToken ct)
    {
        var lines = await containers.LastLogLinesAsync(newName, 20, ct).ConfigureAwait(false);
        await docker.Containers.RemoveAsync(newName, force: true, ct: ct).ConfigureAwait(false);
        var serving = plan.LiveColour is null ? "nothing was serving before" : $"{plan.LiveColour} still serving";
        log($"rolled back: {serving}, {plan.NewColour} removed");
        return new DeployFailedException(
            $"{plan.NewColour} ({plan.Version}) {problem}; rolled back: {serving}, {plan.NewColour} removed\nlast 20 lines of {plan.NewColour}'s log:\n{lines}",
            rolledBack: plan.LiveColour is not null);
    }

    private static async Task<string?> LiveServerAsync(DockerClient docker, DeployEnvironment environment, CancellationToken ct)
    {
        var proxy = environment.Names.Container(environment.Compose.ProxyService);
        return await docker.Containers.TryInspectAsync(proxy, ct).ConfigureAwait(false) is null
            ? null
            : await NginxUpstream.ReadServerAsync(docker, proxy, environment.Compose.UpstreamFile, ct).ConfigureAwait(false);
    }

    /// <summary>The environment's compose files with the deploy's variables, then the process environment, then the environment file's.</summary>
    public static ComposeStack LoadStack(DeployEnvironment environment, string repositoryRoot, string appImage, string version, IReadOnlyDictionary<string, string> variables)
    {
        var files = environment.Compose.Files.Select(f => Path.GetFullPath(f, repositoryRoot)).ToArray();
        return ComposeStack.Load(files, name =>
            name == "API_IMAGE" ? appImage
            : name == "APP_VERSION" ? version
            : variables.TryGetValue(name, out var value) ? value
            : Environment.GetEnvironmentVariable(name) is { } fromProcess ? fromProcess
            : environment.Compose.Variables.GetValueOrDefault(name));
    }
}
