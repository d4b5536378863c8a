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
public sealed class SingleHostDeployer(DockerClient docker, DeployEnvironment environment, RegistryAuth? auth, Action<string> log) : IDeployStrategy
{
    private StackNames Names => environment.Names;

    /// <summary>The compose variable that names the proxy's image.</summary>
    public const string ProxyImageVariable = "NGINX_IMAGE";

    private ComposeSettings Compose => environment.Compose;

    private StackContainers Containers(BlueGreenPlan plan) => new(docker, environment, plan.Stack, auth, log);

    public Task PrepareAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>Reads the compose files and the engine's live colour; changes nothing.</summary>
    public async Task<IReleasePlan> PlanAsync(DeployRequest request, CancellationToken ct) => await PlanSwitchAsync(request, ct).ConfigureAwait(false);

    private async Task<BlueGreenPlan> PlanSwitchAsync(DeployRequest request, CancellationToken ct)
    {
        var stack = LoadStack(environment, request.RepositoryRoot, request.AppImage, request.Version, request.Variables);
        var app = stack.Service(Compose.AppService);
        var proxy = stack.Service(Compose.ProxyService);
        var live = Colours.Of(await LiveServerAsync(ct).ConfigureAwait(false));
        var infrastructure = stack.StartOrder().Where(s => s.Name != app.Name && s.Name != proxy.Name).ToArray();
        return new BlueGreenPlan(request, stack, live, Colours.Other(live), infrastructure, app, proxy);
    }

    /// <summary>
    /// Pulls the release's images, then refuses to recreate PostgreSQL, Redis or nginx's runtime unless asked: their
    /// clients would lose their connections (and nginx its listening socket).
    /// </summary>
    public async Task CheckAsync(IReleasePlan plan, CancellationToken ct)
    {
        var deploy = (BlueGreenPlan)plan;
        var containers = Containers(deploy);
        await containers.PullAsync(deploy.Request.AppImage, always: true, ct).ConfigureAwait(false);
        foreach (var service in deploy.Infrastructure.Append(deploy.Proxy))
            await containers.PullAsync(service.Image, always: false, ct).ConfigureAwait(false);

        var changes = new List<string>();
        foreach (var service in deploy.Infrastructure)
        {
            if (await containers.ChangeAsync(containers.Spec(service, Names.Container(service.Name), service.Image, new Dictionary<string, string>(), service.Ports), ct).ConfigureAwait(false) is { } change)
                changes.Add($"{service.Name} ({change})");
        }

        var proxyImage = await docker.Images.InspectAsync(deploy.Proxy.Image, ct).ConfigureAwait(false);
        var proxySpec = ProxySpec(deploy, proxyImage, ProxyReleases.Command(deploy.Proxy.Command ?? proxyImage.Config?.Cmd ?? []));
        if (await containers.ChangeAsync(proxySpec, ct).ConfigureAwait(false) is { } proxyChange)
            changes.Add($"{deploy.Proxy.Name}'s runtime ({proxyChange.Replace("image ", "base of ", StringComparison.Ordinal)})");
        if (changes.Count == 0)
            return;
        if (!deploy.Request.RecreateInfrastructure)
            throw new DeployFailedException($"the deploy would recreate {string.Join("; ", changes)}, dropping their connections: nothing was changed. Run it again with --recreate-infrastructure to do that");
        log($"recreating, as --recreate-infrastructure asks: {string.Join("; ", changes)}");
    }

    /// <summary>Ensures the infrastructure, runs the release phase while the live colour still serves, then switches colours.</summary>
    public async Task<DeployResult> ApplyAsync(IReleasePlan plan, Release release, Action<Release> learned, CancellationToken ct)
    {
        var deploy = (BlueGreenPlan)plan;
        var containers = Containers(deploy);
        await containers.EnsureNetworksAndVolumesAsync(ct).ConfigureAwait(false);
        foreach (var service in deploy.Infrastructure)
            await containers.EnsureServiceAsync(service, environment.Health.Timeout, ct).ConfigureAwait(false);
        var serving = deploy.LiveColour is null ? "nothing was serving" : $"{deploy.LiveColour} still serving";
        release = release with { MigrationVersion = await new ReleasePhase(docker, deploy.Request, deploy.Stack, log).RunAsync(deploy.App, serving, ct).ConfigureAwait(false) };
        learned(release);
        return await SwitchAsync(deploy, release, ct).ConfigureAwait(false);
    }

    /// <summary>What serves: the app container nginx's upstream points at, and the version and image it runs; null when nothing does.</summary>
    public async Task<ServingRelease?> ServingAsync(CancellationToken ct)
    {
        var server = await LiveServerAsync(ct).ConfigureAwait(false);
        if (Colours.Of(server) is null)
            return null;
        var name = server!.Split(':')[0];
        var container = await docker.Containers.TryInspectAsync(name, ct).ConfigureAwait(false);
        return container?.Config.Labels?.GetValueOrDefault(StackContainers.VersionLabel) is { } version
            ? new ServingRelease(version, container.Config.Image, $"{Compose.ProxyService} → {name}")
            : null;
    }

    /// <summary>
    /// A release in the ledger whose image is still on the engine, without pulling or rebuilding; the stopped colour is
    /// simply started again when it still runs that release. The proxy's configuration goes back with the app, when the
    /// ledger recorded it.
    /// </summary>
    public async Task<RollbackPlan> PlanRollbackAsync(RollbackRequest request, ReleaseLedger ledger, CancellationToken ct)
    {
        var choice = await ledger.ChooseRollbackAsync(await ServingAsync(ct).ConfigureAwait(false), request, Compose.AppService, ct).ConfigureAwait(false);
        if (await docker.Images.TryInspectAsync(choice.AppImage, ct).ConfigureAwait(false) is null)
            throw new DeployFailedException($"{choice.AppImage} of release {choice.Target.Version} is no longer on the engine: deploy that version again instead");

        var proxyImage = choice.Target.Images.GetValueOrDefault(Compose.ProxyService) is { } recorded && await docker.Images.TryInspectAsync(recorded, ct).ConfigureAwait(false) is not null
            ? recorded
            : await ProxyImageInUseAsync(ct).ConfigureAwait(false);
        var variables = new Dictionary<string, string>(request.Variables) { [ProxyImageVariable] = proxyImage };
        var plan = await PlanSwitchAsync(new DeployRequest(environment, request.RepositoryRoot, choice.Target.Version, choice.AppImage, null, variables), ct).ConfigureAwait(false);
        return new BlueGreenRollback(choice, plan);
    }

    /// <summary>The proxy image whose configuration serves now: what a rollback keeps when the ledger has no proxy image for its release.</summary>
    private async Task<string> ProxyImageInUseAsync(CancellationToken ct)
    {
        var proxy = await docker.Containers.TryInspectAsync(ProxyName, ct).ConfigureAwait(false)
            ?? throw new DeployFailedException($"{Names.Environment} has no running {Compose.ProxyService}: deploy before rolling back");
        // A delivered release is named after its image's id, which the engine accepts as a reference.
        return await ProxyReleases.LiveAsync(docker, ProxyName, ct).ConfigureAwait(false) ?? proxy.Config.Image;
    }

    public Task<DeployResult> RollBackAsync(RollbackPlan plan, Release release, CancellationToken ct) =>
        SwitchAsync(((BlueGreenRollback)plan).Switch, release, ct);

    /// <summary>A rollback on one engine: the switch to the target release's colour, as a deploy of it would make it.</summary>
    private sealed record BlueGreenRollback(RollbackChoice Choice, BlueGreenPlan Switch) : RollbackPlan(Choice, Switch.NewColour, [.. Switch.Describe()]);

    /// <summary>Bring up <see cref="BlueGreenPlan.NewColour"/>, check it, switch nginx, drain, stop the old colour.</summary>
    private async Task<DeployResult> SwitchAsync(BlueGreenPlan plan, Release release, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var newName = Names.Container($"{plan.App.Name}-{plan.NewColour}");
        var oldName = plan.LiveColour is null ? null : Names.Container($"{plan.App.Name}-{plan.LiveColour}");
        await StartColourAsync(plan, newName, ct).ConfigureAwait(false);

        var direct = new ExecRelay(docker, newName, Compose.AppPort);
        var (problem, healthyAfter) = await Containers(plan).WaitHealthyAsync(newName, environment.Health.Timeout, ct, direct).ConfigureAwait(false);
        if (problem is null)
        {
            var smokeDirect = await SmokeTester.RunAsync(new SmokeTarget(direct.Url, plan.Version, null, false, environment.Smoke.Timeout, environment.Smoke.Retries, environment.Smoke.InitialBackoff)
            {
                Connector = direct.OpenAsync,
                Label = $"{newName} directly",
            }, ct).ConfigureAwait(false);
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
    private async Task StartColourAsync(BlueGreenPlan plan, string name, CancellationToken ct)
    {
        var labels = new Dictionary<string, string>
        {
            [StackContainers.ColourLabel] = plan.NewColour,
            [StackContainers.VersionLabel] = plan.Version,
        };
        // No port is published: the deploy checks the colour through an exec relay before nginx sends it traffic.
        var spec = Containers(plan).Spec(plan.App, name, plan.AppImage, labels, []);
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

    /// <summary>Every check through the environment's public URL, as a user's request goes.</summary>
    public static SmokeTarget PublicSmokeTarget(DeployEnvironment environment, string version) =>
        new(environment.PublicUrl, version, environment.TrustedCaFile, true, environment.Smoke.Timeout, environment.Smoke.Retries, environment.Smoke.InitialBackoff);

    private string ProxyName => Names.Container(Compose.ProxyService);

    /// <summary>
    /// Points nginx at <paramref name="server"/> with this release's proxy configuration: handed to the running nginx
    /// (delivered, checked, made current, graceful reload) when its runtime is unchanged, else a new nginx container
    /// (first deploy, or --recreate-infrastructure).
    /// </summary>
    private async Task EnsureProxyAsync(BlueGreenPlan plan, string server, CancellationToken ct)
    {
        var image = await docker.Images.InspectAsync(plan.Proxy.Image, ct).ConfigureAwait(false);
        var command = ProxyReleases.Command(plan.Proxy.Command ?? image.Config?.Cmd ?? []);
        var spec = ProxySpec(plan, image, command);
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

            await ProxyReleases.HandOverAsync(docker, ProxyName, image, command, ct).ConfigureAwait(false);
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
        var containers = Containers(plan);
        var (problem, _) = await containers.WaitHealthyAsync(ProxyName, environment.Health.Timeout, ct).ConfigureAwait(false);
        if (problem is not null)
            throw new DeployFailedException($"{plan.Proxy.Name} is not healthy: {problem}. Last lines of its log:\n{await containers.LastLogLinesAsync(ProxyName, 20, ct).ConfigureAwait(false)}");
        log($"{plan.Proxy.Name} created, healthy, pointing at {plan.NewColour}, release {release}");
    }

    /// <summary>
    /// The proxy's container: the compose service with the releases volume and nginx's command moved under it, hashed as
    /// its runtime (base image) rather than its image, so a release of new configuration is handed over, not recreated.
    /// </summary>
    private ContainerSpec ProxySpec(BlueGreenPlan plan, ImageInspect image, IReadOnlyList<string> command) =>
        Containers(plan).Spec(plan.Proxy with { Command = command, NamedVolumes = [.. plan.Proxy.NamedVolumes, (ProxyReleases.Volume, ProxyReleases.Root)] },
            ProxyName, ProxyReleases.Runtime(image), new Dictionary<string, string>(), plan.Proxy.Ports) with { Image = plan.Proxy.Image };

    /// <summary>The -p/-c arguments of the running nginx, so -t and -s act on its configuration.</summary>
    private async Task<IReadOnlyList<string>> ProxyArgumentsAsync(CancellationToken ct) =>
        NginxUpstream.ConfigArguments((await docker.Containers.InspectAsync(ProxyName, ct).ConfigureAwait(false)).Config.Cmd);

    /// <summary>The uid:gid nginx runs as, so the rewritten include stays readable and rewritable by it.</summary>
    private static FileOwner? ProxyOwner(BlueGreenPlan plan) =>
        plan.Proxy.User?.Split(':') is [var uid, var gid] && int.TryParse(uid, CultureInfo.InvariantCulture, out var u) && int.TryParse(gid, CultureInfo.InvariantCulture, out var g)
            ? new FileOwner(u, g)
            : null;

    /// <summary>Removes the failed colour (after keeping its last log lines); the live colour was never touched.</summary>
    /// <param name="tookTraffic">nginx sent it requests: its old workers finish them (drain, graceful stop) before it goes.</param>
    private async Task<DeployFailedException> AbandonAsync(BlueGreenPlan plan, string newName, string problem, CancellationToken ct, bool tookTraffic = false)
    {
        var lines = await Containers(plan).LastLogLinesAsync(newName, 20, ct).ConfigureAwait(false);
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

    private async Task<string?> LiveServerAsync(CancellationToken ct) =>
        await docker.Containers.TryInspectAsync(ProxyName, ct).ConfigureAwait(false) is null
            ? null
            : await NginxUpstream.ReadServerAsync(docker, ProxyName, Compose.UpstreamFile, ct).ConfigureAwait(false);

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
