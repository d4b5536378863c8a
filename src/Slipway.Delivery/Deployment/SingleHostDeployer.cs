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

    /// <summary>The compose variable that names the proxy's image.</summary>
    public const string ProxyImageVariable = "NGINX_IMAGE";

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
        return new DeployPlan(request.Environment, request.Version, request.AppImage, stack, live, Colours.Other(live), infrastructure, app, proxy)
        {
            ImageNames = request.ImageNames,
        };
    }

    /// <summary>Deploys under the environment's lock and records the outcome in its ledger.</summary>
    public static async Task<DeployResult> DeployAsync(DockerClient docker, DeployRequest request, Action<string> log, CancellationToken ct = default)
    {
        await using var deployLock = await DeployLock.AcquireAsync(docker, request.Environment.Names, request.Who, ct: ct).ConfigureAwait(false);
        var plan = await PlanAsync(docker, request, ct).ConfigureAwait(false);
        // The lines a dry run prints: what it showed is what runs.
        foreach (var line in plan.Describe())
            log(line);
        var deployer = new SingleHostDeployer(docker, request.Environment, plan.Stack, request.RegistryAuth, log);
        await deployer.PullAsync(plan, ct).ConfigureAwait(false);
        await deployer.RefuseInfrastructureChangesAsync(plan, request.RecreateInfrastructure, ct).ConfigureAwait(false);

        var ledger = await ReleaseLedger.OpenHoldingLockAsync(docker, request.Environment.Names, log, ct).ConfigureAwait(false);
        var live = await ServingAsync(docker, request.Environment, ct).ConfigureAwait(false);
        var previous = ReleaseLedger.Reconcile(await ledger.ReadAsync(ct).ConfigureAwait(false), live, request.Environment.Names.Environment, plan.App.Name, log);
        var release = new Release(request.Version, ReleaseKind.Deploy, plan.NewColour, request.Who.Who + "@" + request.Who.Host, DateTimeOffset.UtcNow, null,
            new Dictionary<string, string> { [plan.App.Name] = request.AppImage, [plan.Proxy.Name] = plan.Proxy.Image }, null, ReleaseOutcome.InProgress, live?.Version)
        {
            PreviousStartedAt = previous?.StartedAt,
        };
        await ledger.RecordAsync(release, ct).ConfigureAwait(false);

        try
        {
            await deployer.containers.EnsureNetworksAndVolumesAsync(ct).ConfigureAwait(false);
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
    /// Goes back to a release in the ledger whose image is still on the engine (by default the one that served before
    /// what serves now was deployed), without pulling or rebuilding; the stopped colour is simply started again when it
    /// still runs that release. Refused before anything changes when nothing earlier remains or the schema forbids it.
    /// </summary>
    public static async Task<DeployResult> RollbackAsync(DockerClient docker, RollbackRequest request, Action<string> log, CancellationToken ct = default)
    {
        var environment = request.Environment;
        await using var deployLock = await DeployLock.AcquireAsync(docker, environment.Names, request.Who, ct: ct).ConfigureAwait(false);
        var ledger = await ReleaseLedger.OpenHoldingLockAsync(docker, environment.Names, log, ct).ConfigureAwait(false);
        var (rollback, plan) = await PlanRollbackAndSwitchAsync(docker, request, ledger, ct).ConfigureAwait(false);
        foreach (var line in rollback.Describe())
            log(line);
        var release = rollback.Choice.Record(plan.NewColour, request.Who);
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

    private async Task PullAsync(DeployPlan plan, CancellationToken ct)
    {
        await containers.PullAsync(plan.AppImage, always: true, ct).ConfigureAwait(false);
        foreach (var service in plan.Infrastructure.Append(plan.Proxy))
            await containers.PullAsync(service.Image, always: false, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// PostgreSQL, Redis and nginx's runtime are never recreated by a deploy unless asked: their clients would lose
    /// their connections (and nginx its listening socket). Checked before anything changes.
    /// </summary>
    private async Task RefuseInfrastructureChangesAsync(DeployPlan plan, bool recreate, CancellationToken ct)
    {
        var changes = new List<string>();
        foreach (var service in plan.Infrastructure)
        {
            if (await containers.ChangeAsync(containers.Spec(service, Names.Container(service.Name), service.Image, new Dictionary<string, string>(), service.Ports), ct).ConfigureAwait(false) is { } change)
                changes.Add($"{service.Name} ({change})");
        }

        var proxyImage = await docker.Images.InspectAsync(plan.Proxy.Image, ct).ConfigureAwait(false);
        var proxySpec = ProxySpec(plan.Proxy, proxyImage, ProxyReleases.Command(plan.Proxy.Command ?? proxyImage.Config?.Cmd ?? []));
        if (await containers.ChangeAsync(proxySpec, ct).ConfigureAwait(false) is { } proxyChange)
            changes.Add($"{plan.Proxy.Name}'s runtime ({proxyChange.Replace("image ", "base of ", StringComparison.Ordinal)})");
        if (changes.Count == 0)
            return;
        if (!recreate)
            throw new DeployFailedException($"the deploy would recreate {string.Join("; ", changes)}, dropping their connections: nothing was changed. Run it again with --recreate-infrastructure to do that");
        log($"recreating, as --recreate-infrastructure asks: {string.Join("; ", changes)}");
    }

    /// <summary>What serves: the app container nginx's upstream points at, and the version and image it runs; null when nothing does.</summary>
    public static async Task<ServingRelease?> ServingAsync(DockerClient docker, DeployEnvironment environment, CancellationToken ct = default)
    {
        var server = await LiveServerAsync(docker, environment, ct).ConfigureAwait(false);
        if (Colours.Of(server) is null)
            return null;
        var name = server!.Split(':')[0];
        var container = await docker.Containers.TryInspectAsync(name, ct).ConfigureAwait(false);
        return container?.Config.Labels?.GetValueOrDefault(StackContainers.VersionLabel) is { } version
            ? new ServingRelease(version, container.Config.Image, $"{environment.Compose.ProxyService} → {name}")
            : null;
    }

    /// <summary>What <see cref="RollbackAsync"/> would do, read from the ledger and the engine; changes nothing.</summary>
    public static async Task<RollbackPlan> PlanRollbackAsync(DockerClient docker, RollbackRequest request, ReleaseLedger ledger, CancellationToken ct = default) =>
        (await PlanRollbackAndSwitchAsync(docker, request, ledger, ct).ConfigureAwait(false)).Rollback;

    private static async Task<(RollbackPlan Rollback, DeployPlan Switch)> PlanRollbackAndSwitchAsync(DockerClient docker, RollbackRequest request, ReleaseLedger ledger, CancellationToken ct)
    {
        var environment = request.Environment;
        var choice = await ledger.ChooseRollbackAsync(await ServingAsync(docker, environment, ct).ConfigureAwait(false), request, environment.Compose.AppService, ct).ConfigureAwait(false);
        if (await docker.Images.TryInspectAsync(choice.AppImage, ct).ConfigureAwait(false) is null)
            throw new DeployFailedException($"{choice.AppImage} of release {choice.Target.Version} is no longer on the engine: deploy that version again instead");

        // The proxy's configuration goes back with the app, when the ledger recorded it.
        var variables = choice.Target.Images.GetValueOrDefault(environment.Compose.ProxyService) is { } proxyImage && await docker.Images.TryInspectAsync(proxyImage, ct).ConfigureAwait(false) is not null
            ? new Dictionary<string, string>(request.Variables) { [ProxyImageVariable] = proxyImage }
            : request.Variables;
        var plan = await PlanAsync(docker, new DeployRequest(environment, request.RepositoryRoot, choice.Target.Version, choice.AppImage, null, variables), ct).ConfigureAwait(false);
        return (new RollbackPlan(choice, [.. plan.Describe()]), plan);
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
                problem = "smoke checks against it failed: " + smokeDirect.FailureLines;
        }

        if (problem is not null)
            throw await AbandonAsync(plan, newName, problem, ct).ConfigureAwait(false);
        log($"{plan.NewColour} healthy in {healthyAfter.TotalSeconds:0.0} s and answering directly");

        var server = $"{newName}:{Compose.AppPort}";
        var liveRelease = await ProxyReleases.LiveAsync(docker, ProxyName, ct).ConfigureAwait(false);
        await EnsureProxyAsync(plan, server, ct).ConfigureAwait(false);
        log($"nginx switched to {plan.NewColour} (graceful reload)");

        var smoke = await ReleaseChecks.RunAsync(docker, environment, plan.Version, log, ct).ConfigureAwait(false);
        if (!smoke.Passed)
        {
            var details = smoke.FailureLines;
            if (oldName is not null)
            {
                await docker.Containers.StartAsync(oldName, ct).ConfigureAwait(false);
                if (liveRelease is not null)
                    await ProxyReleases.MakeCurrentAsync(docker, ProxyName, liveRelease, ct).ConfigureAwait(false);
                await NginxUpstream.SwitchAsync(docker, ProxyName, Compose.UpstreamFile, $"{oldName}:{Compose.AppPort}", ProxyOwner(plan), await ProxyArgumentsAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            }

            throw await AbandonAsync(plan, newName, $"smoke checks through nginx failed after the switch: {details}", ct, tookTraffic: true).ConfigureAwait(false);
        }

        log($"smoke through nginx: {smoke.Described}");
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

    /// <summary>Every check through the environment's public URL, as a user's request goes.</summary>
    public static SmokeTarget PublicSmokeTarget(DeployEnvironment environment, string version) =>
        new(environment.PublicUrl, version, environment.TrustedCaFile, true, environment.Smoke.Timeout, environment.Smoke.Retries, environment.Smoke.InitialBackoff);

    private string ProxyName => Names.Container(Compose.ProxyService);

    /// <summary>
    /// Points nginx at <paramref name="server"/> with this release's proxy configuration: handed to the running nginx
    /// (delivered, checked, made current, graceful reload) when its runtime is unchanged, else a new nginx container
    /// (first deploy, or --recreate-infrastructure).
    /// </summary>
    private async Task EnsureProxyAsync(DeployPlan plan, string server, CancellationToken ct)
    {
        var image = await docker.Images.InspectAsync(plan.Proxy.Image, ct).ConfigureAwait(false);
        var command = ProxyReleases.Command(plan.Proxy.Command ?? image.Config?.Cmd ?? []);
        var spec = ProxySpec(plan.Proxy, image, command);
        var release = ProxyReleases.Id(image);
        var existing = await docker.Containers.TryInspectAsync(ProxyName, ct).ConfigureAwait(false);
        if (existing is { State.Running: true } && existing.Config.Labels?.GetValueOrDefault(StackContainers.SpecLabel) == spec.Labels[StackContainers.SpecLabel])
        {
            var live = await ProxyReleases.LiveAsync(docker, ProxyName, ct).ConfigureAwait(false);
            var arguments = NginxUpstream.ConfigArguments(command);
            if (live == release)
            {
                await NginxUpstream.SwitchAsync(docker, ProxyName, Compose.UpstreamFile, server, ProxyOwner(plan), arguments, ct).ConfigureAwait(false);
                return;
            }

            await ProxyReleases.DeliverAsync(docker, ProxyName, image, asCurrent: false, ct).ConfigureAwait(false);
            await ProxyReleases.CheckAsync(docker, ProxyName, release, command, ct).ConfigureAwait(false);
            await ProxyReleases.MakeCurrentAsync(docker, ProxyName, release, ct).ConfigureAwait(false);
            try
            {
                // One reload takes both the new configuration and the new colour.
                await NginxUpstream.SwitchAsync(docker, ProxyName, Compose.UpstreamFile, server, ProxyOwner(plan), arguments, ct).ConfigureAwait(false);
            }
            catch when (live is not null)
            {
                await ProxyReleases.MakeCurrentAsync(docker, ProxyName, live, CancellationToken.None).ConfigureAwait(false);
                throw;
            }

            log($"{plan.Proxy.Name} took release {release} of {plan.Proxy.Image} by graceful reload (was {live ?? "the image's own"}; not restarted)");
            return;
        }

        if (existing is not null)
        {
            await docker.Containers.RemoveAsync(ProxyName, force: true, ct: ct).ConfigureAwait(false);
            log($"{plan.Proxy.Name} recreated: {(existing.State.Running ? "its runtime changed (--recreate-infrastructure)" : "it was not running")}");
        }

        await docker.Volumes.CreateAsync(new VolumeCreateParameters(Names.Volume(ProxyReleases.Volume))
        {
            Labels = new Dictionary<string, string> { [StackContainers.StackLabel] = Names.Stack },
        }, ct).ConfigureAwait(false);
        await docker.Containers.CreateAsync(spec, ct).ConfigureAwait(false);
        await ProxyReleases.DeliverAsync(docker, ProxyName, image, asCurrent: true, ct).ConfigureAwait(false);
        await NginxUpstream.WriteAsync(docker, ProxyName, Compose.UpstreamFile, server, ProxyOwner(plan), ct).ConfigureAwait(false);
        await docker.Containers.StartAsync(ProxyName, ct).ConfigureAwait(false);
        var (problem, _) = await containers.WaitHealthyAsync(ProxyName, environment.Health.Timeout, ct).ConfigureAwait(false);
        if (problem is not null)
            throw new DeployFailedException($"{plan.Proxy.Name} is not healthy: {problem}. Last lines of its log:\n{await containers.LastLogLinesAsync(ProxyName, 20, ct).ConfigureAwait(false)}");
        log($"{plan.Proxy.Name} created, healthy, pointing at {plan.NewColour}, release {release}");
    }

    /// <summary>
    /// The proxy's container: the compose service with the releases volume and nginx's command moved under it, hashed as
    /// its runtime (base image) rather than its image, so a release of new configuration is handed over, not recreated.
    /// </summary>
    private ContainerSpec ProxySpec(ComposeService proxy, ImageInspect image, IReadOnlyList<string> command) =>
        containers.Spec(proxy with { Command = command, NamedVolumes = [.. proxy.NamedVolumes, (ProxyReleases.Volume, ProxyReleases.Root)] },
            ProxyName, ProxyReleases.Runtime(image), new Dictionary<string, string>(), proxy.Ports) with { Image = proxy.Image };

    /// <summary>The -p/-c arguments of the running nginx, so -t and -s act on its configuration.</summary>
    private async Task<IReadOnlyList<string>> ProxyArgumentsAsync(CancellationToken ct) =>
        NginxUpstream.ConfigArguments((await docker.Containers.InspectAsync(ProxyName, ct).ConfigureAwait(false)).Config.Cmd);

    /// <summary>The uid:gid nginx runs as, so the rewritten include stays readable and rewritable by it.</summary>
    private static FileOwner? ProxyOwner(DeployPlan plan) =>
        plan.Proxy.User?.Split(':') is [var uid, var gid] && int.TryParse(uid, CultureInfo.InvariantCulture, out var u) && int.TryParse(gid, CultureInfo.InvariantCulture, out var g)
            ? new FileOwner(u, g)
            : null;

    /// <summary>Removes the failed colour (after keeping its last log lines); the live colour was never touched.</summary>
    /// <param name="tookTraffic">nginx sent it requests: its old workers finish them (drain, graceful stop) before it goes.</param>
    private async Task<DeployFailedException> AbandonAsync(DeployPlan plan, string newName, string problem, CancellationToken ct, bool tookTraffic = false)
    {
        var lines = await containers.LastLogLinesAsync(newName, 20, ct).ConfigureAwait(false);
        if (tookTraffic)
        {
            await Task.Delay(environment.Drain, ct).ConfigureAwait(false);
            await docker.Containers.StopAsync(newName, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        }

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
