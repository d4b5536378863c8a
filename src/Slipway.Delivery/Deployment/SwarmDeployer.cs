using System.Diagnostics;
using System.Text.Json.Nodes;
using Slipway.Delivery.Deployment.SmokeTests;
using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// The stack on a Docker Swarm: each compose service becomes a swarm service, updated in place by the
/// swarm's own rolling update (start-first, health-gated, failure_action rollback as the compose file
/// says). Unlike <c>docker stack deploy</c> or <c>docker service update</c>, it waits for the update to
/// converge, treats a rollback by the swarm as the failure it is, checks the result through the public
/// URL, and rolls the app back itself when that check fails.
/// </summary>
public sealed class SwarmDeployer(DockerClient docker, DeployEnvironment environment, RegistryAuth? auth, Action<string> log) : IDeployStrategy
{
    /// <summary>What the ledger's colour column says for a swarm release: tasks are replaced in place.</summary>
    public const string Rolling = "rolling";

    private StackNames Names => environment.Names;

    public Task PrepareAsync(CancellationToken ct) => EnsureManagerAsync(docker, environment, log, ct);

    /// <summary>Reads the compose files and the swarm's services; changes nothing.</summary>
    public async Task<IReleasePlan> PlanAsync(DeployRequest request, CancellationToken ct)
    {
        var stack = SingleHostDeployer.LoadStack(environment, request.RepositoryRoot, request.AppImage, request.Version, request.Variables);
        var app = stack.Service(environment.Compose.AppService);
        // An engine that is no swarm manager yet (a dry run before the first deploy made it one) runs no service.
        var manager = (await docker.Swarm.NodeAsync(ct).ConfigureAwait(false)).IsManager;
        var live = manager ? await docker.Services.TryInspectAsync(Names.SwarmService(app.Name), ct).ConfigureAwait(false) : null;
        return new SwarmPlan(request, stack, app, live?.Labels.GetValueOrDefault(StackContainers.VersionLabel), live?.Image, manager);
    }

    /// <summary>Nothing to check before the ledger: the swarm pulls the images, and infrastructure changes are refused once its configs exist.</summary>
    public Task CheckAsync(IReleasePlan plan, CancellationToken ct) => Task.CompletedTask;

    public Task<DeployResult> ApplyAsync(IReleasePlan plan, Release release, Action<Release> learned, CancellationToken ct) => RunAsync((SwarmPlan)plan, release, learned, ct);

    /// <summary>What serves: the version and image on the app service's labels and spec; null when there is no such service.</summary>
    public async Task<ServingRelease?> ServingAsync(CancellationToken ct) =>
        Serving(await docker.Services.TryInspectAsync(Names.SwarmService(environment.Compose.AppService), ct).ConfigureAwait(false));

    private static ServingRelease? Serving(ServiceInspect? service) =>
        service?.Labels.GetValueOrDefault(StackContainers.VersionLabel) is { } version ? new ServingRelease(version, service.Image, $"service {service.Name}") : null;

    /// <summary>
    /// Puts the app service back on a release in the ledger: only its image and version change, nothing is rebuilt or
    /// pushed, and the swarm rolls its tasks as for a deploy; the proxy takes back that release's configuration.
    /// </summary>
    public async Task<RollbackPlan> PlanRollbackAsync(RollbackRequest request, ReleaseLedger ledger, CancellationToken ct)
    {
        var appService = environment.Compose.AppService;
        var service = (await docker.Swarm.NodeAsync(ct).ConfigureAwait(false)).IsManager
            ? await docker.Services.TryInspectAsync(Names.SwarmService(appService), ct).ConfigureAwait(false)
            : null;
        if (service is null)
            throw new DeployFailedException($"{Names.Environment} has no {appService} service on the swarm: deploy before rolling back");
        var choice = await ledger.ChooseRollbackAsync(Serving(service), request, appService, ct).ConfigureAwait(false);
        var order = service.Spec["UpdateConfig"]?["Order"]?.GetValue<string>() ?? "stop-first";
        return new SwarmRollback(choice, service,
        [
            $"rolling      {appService} {service.Labels.GetValueOrDefault(StackContainers.VersionLabel) ?? "(unlabelled)"} → {choice.Target.Version} = {choice.AppImage} ({order}, {service.Replicas} replicas)",
            .. choice.Target.Images.GetValueOrDefault(environment.Compose.ProxyService) is { } proxy ? [$"proxy        {environment.Compose.ProxyService} takes back the configuration of {proxy} (graceful reload)"] : Array.Empty<string>(),
            $"then         wait for convergence, smoke via {environment.PublicUrl}",
        ]);
    }

    public async Task<DeployResult> RollBackAsync(RollbackPlan plan, Release release, CancellationToken ct)
    {
        var (service, target, image) = (((SwarmRollback)plan).Service, plan.Choice.Target, plan.Choice.AppImage);
        var appService = environment.Compose.AppService;
        var clock = Stopwatch.StartNew();
        var spec = WithRelease(service.Spec, image, target.Version);
        var outcome = await UpdateAsync(service, () => docker.Services.UpdateAsync(service.ID, service.Version.Index, spec, auth, ct), ct).ConfigureAwait(false);
        if (outcome.State != ConvergeState.Converged)
            throw new DeployFailedException($"rollback of {appService} to {target.Version} did not converge: {outcome.Detail}");
        log($"{appService} back on {target.Version} ({image}), converged in {clock.Elapsed.TotalSeconds:0.0} s");
        if (target.Images.GetValueOrDefault(environment.Compose.ProxyService) is { } proxyImage)
            await HandOverAsync(Names.SwarmService(environment.Compose.ProxyService), proxyImage, ct).ConfigureAwait(false);
        await SmokeOrThrowAsync(target.Version, null, ct).ConfigureAwait(false);
        return new DeployResult(release with { Outcome = ReleaseOutcome.Succeeded, FinishedAt = DateTimeOffset.UtcNow }, Rolling, Rolling, clock.Elapsed, clock.Elapsed)
        {
            Described = $"rolling update of {appService} back to {target.Version}: converged in {clock.Elapsed.TotalSeconds:0.0} s",
        };
    }

    /// <summary>A rollback on a swarm: the app service as it was read under the lock, updated back to the target's image.</summary>
    private sealed record SwarmRollback(RollbackChoice Choice, ServiceInspect Service, IReadOnlyList<string> Steps) : RollbackPlan(Choice, Rolling, Steps);

    /// <summary>
    /// The engine must manage a swarm. A bootstrapped (local) environment makes its engine a single-node
    /// swarm; any other is left to its operator, with the command to run.
    /// </summary>
    public static async Task EnsureManagerAsync(DockerClient docker, DeployEnvironment environment, Action<string> log, CancellationToken ct = default)
    {
        var node = await docker.Swarm.NodeAsync(ct).ConfigureAwait(false);
        if (node.IsManager)
            return;
        if (!environment.Bootstrap || node.LocalNodeState != "inactive")
        {
            throw new DeployFailedException(
                $"the engine at {docker.Endpoint} is not a swarm manager (swarm {node.LocalNodeState}): run `docker swarm init` on it, or set \"strategy\": \"single-host\" in {environment.SourceFile}");
        }

        await docker.Swarm.InitAsync("127.0.0.1", ct: ct).ConfigureAwait(false);
        log("engine is now a single-node swarm (docker swarm init --advertise-addr 127.0.0.1)");
    }

    private async Task<DeployResult> RunAsync(SwarmPlan plan, Release release, Action<Release> learned, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await EnsureNetworksAsync(plan.Stack, ct).ConfigureAwait(false);
        var configs = await EnsureConfigsAsync(plan.Stack, ct).ConfigureAwait(false);
        var app = plan.App.Name;
        var proxy = environment.Compose.ProxyService;
        var proxyService = plan.Stack.Services.GetValueOrDefault(proxy);
        var proxySpec = proxyService is null ? null : await ProxySpecAsync(proxyService, configs, ct).ConfigureAwait(false);
        var infrastructure = plan.Stack.StartOrder().Where(s => s.Name != app && s.Name != proxy).ToArray();
        await RefuseInfrastructureChangesAsync(infrastructure.Select(s => SwarmServices.Spec(s, Names, configs, null)), proxySpec, plan.Request.RecreateInfrastructure, ct).ConfigureAwait(false);
        foreach (var service in infrastructure)
            await EnsureOrThrowAsync(service, configs, null, ct).ConfigureAwait(false);
        release = release with { MigrationVersion = await new ReleasePhase(docker, plan.Request, plan.Stack, log).RunAsync(plan.App, $"{plan.LiveVersion ?? "nothing"} still serving", ct).ConfigureAwait(false) };
        learned(release);

        var appClock = Stopwatch.StartNew();
        var appOutcome = await EnsureAsync(plan.App, configs, plan.Version, ct).ConfigureAwait(false);
        var serving = plan.LiveVersion is null ? "nothing was serving before" : $"{plan.LiveVersion} still serving";
        switch (appOutcome.State)
        {
            case ConvergeState.RolledBack:
                throw new DeployFailedException($"{app} {plan.Version} failed its rolling update and the swarm rolled it back ({serving}): {appOutcome.Detail}", rolledBack: true);
            case ConvergeState.Failed:
                throw new DeployFailedException($"{app} {plan.Version} did not converge: {appOutcome.Detail}", rolledBack: false);
        }

        var appTime = appClock.Elapsed;
        var proxyRelease = proxySpec is null ? null : await EnsureProxyAsync(proxySpec, proxyService!.Image, ct).ConfigureAwait(false);
        await SmokeOrThrowAsync(plan.Version, plan.LiveImage is null ? null : app, ct, proxyRelease).ConfigureAwait(false);
        return new DeployResult(release with { Outcome = ReleaseOutcome.Succeeded, FinishedAt = DateTimeOffset.UtcNow }, Rolling, Rolling, appTime, clock.Elapsed)
        {
            Described = $"rolling update of {app} to {plan.Version}: converged in {appTime.TotalSeconds:0.0} s",
        };
    }

    /// <summary>
    /// The proxy's service: its image is the running one while the runtime (base image, Dockerfile) is the same, so the
    /// swarm does not replace the task that holds the host port (stop-first: an outage); the release's configuration is
    /// handed to the running nginx instead (<see cref="ProxyReleases"/>).
    /// </summary>
    private async Task<ServiceSpec> ProxySpecAsync(ComposeService proxy, IReadOnlyDictionary<string, SwarmConfig> configs, CancellationToken ct)
    {
        var image = await LocalImageAsync(proxy.Image, ct).ConfigureAwait(false);
        var runtime = ProxyReleases.Runtime(image);
        var existing = await docker.Services.TryInspectAsync(Names.SwarmService(proxy.Name), ct).ConfigureAwait(false);
        var serviceImage = existing is not null && existing.Labels.GetValueOrDefault(RuntimeLabel) == runtime ? existing.Image : proxy.Image;
        var service = proxy with
        {
            Image = serviceImage,
            Command = ProxyReleases.Command(proxy.Command ?? image.Config?.Cmd ?? []),
            NamedVolumes = [.. proxy.NamedVolumes, (ProxyReleases.Volume, ProxyReleases.Root)],
        };
        return SwarmServices.Spec(service, Names, configs, null, new Dictionary<string, string> { [RuntimeLabel] = runtime });
    }

    /// <summary>The proxy service's runtime: what its image runs on (<see cref="ProxyReleases.Runtime"/>).</summary>
    private const string RuntimeLabel = "org.slipway.runtime";

    /// <summary>
    /// Creates or updates the proxy service when its runtime changed (or it is new), then hands this release's
    /// configuration to each of its running tasks on this engine. Returns the release each task served before.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, string?>> EnsureProxyAsync(ServiceSpec spec, string proxyImage, CancellationToken ct)
    {
        var service = spec.Name[(Names.Stack.Length + 1)..];
        var outcome = await EnsureSpecAsync(service, spec, ct).ConfigureAwait(false);
        if (outcome.State != ConvergeState.Converged)
            throw new DeployFailedException($"{service} did not converge on the swarm: {outcome.Detail}");
        return await HandOverAsync(spec.Name, proxyImage, ct).ConfigureAwait(false);
    }

    /// <summary>Delivers the release of <paramref name="proxyImage"/> to every running task of the proxy service on this engine.</summary>
    private async Task<IReadOnlyDictionary<string, string?>> HandOverAsync(string serviceName, string proxyImage, CancellationToken ct)
    {
        var image = await LocalImageAsync(proxyImage, ct).ConfigureAwait(false);
        var release = ProxyReleases.Id(image);
        var before = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var task in (await docker.Containers.ListAsync([$"com.docker.swarm.service.name={serviceName}"], ct).ConfigureAwait(false)).Where(c => c.State == "running"))
        {
            var live = await ProxyReleases.LiveAsync(docker, task.Id, ct).ConfigureAwait(false);
            before[task.Id] = live;
            if (live == release)
                continue;
            var command = (await docker.Containers.InspectAsync(task.Id, ct).ConfigureAwait(false)).Config.Cmd ?? [];
            await ProxyReleases.HandOverAsync(docker, task.Id, image, command, ct).ConfigureAwait(false);
            await ReloadAsync(task.Id, command, ct).ConfigureAwait(false);
            log($"{task.Name} took release {release} of {proxyImage} by graceful reload (was {live ?? "none"}; not restarted)");
        }

        return before;
    }

    /// <summary>An image on this engine, pulled first when it is missing: read for its labels, command and release.</summary>
    private async Task<ImageInspect> LocalImageAsync(string reference, CancellationToken ct)
    {
        if (await docker.Images.TryInspectAsync(reference, ct).ConfigureAwait(false) is { } local)
            return local;
        await docker.Images.PullAsync(reference, auth, ct: ct).ConfigureAwait(false);
        return await docker.Images.InspectAsync(reference, ct).ConfigureAwait(false);
    }

    private Task ReloadAsync(string container, IReadOnlyList<string> command, CancellationToken ct) =>
        NginxReload.RunAsync(docker, container, NginxUpstream.ConfigArguments(command), ct);

    /// <summary>Puts the proxy's tasks back on the releases they served before (after a failed smoke check).</summary>
    private async Task RestoreProxyAsync(IReadOnlyDictionary<string, string?> before, CancellationToken ct)
    {
        foreach (var (container, release) in before)
        {
            if (release is null)
                continue;
            await ProxyReleases.MakeCurrentAsync(docker, container, release, ct).ConfigureAwait(false);
            await ReloadAsync(container, (await docker.Containers.InspectAsync(container, ct).ConfigureAwait(false)).Config.Cmd ?? [], ct).ConfigureAwait(false);
        }
    }

    /// <summary>PostgreSQL, Redis and the proxy's runtime are replaced only when asked: the swarm would stop them first.</summary>
    private async Task RefuseInfrastructureChangesAsync(IEnumerable<ServiceSpec> infrastructure, ServiceSpec? proxy, bool recreate, CancellationToken ct)
    {
        var changes = new List<string>();
        foreach (var spec in infrastructure)
        {
            var existing = await docker.Services.TryInspectAsync(spec.Name, ct).ConfigureAwait(false);
            if (existing is not null && existing.Labels.GetValueOrDefault(StackContainers.SpecLabel) != spec.Labels[StackContainers.SpecLabel])
                changes.Add(existing.Image == spec.Image ? $"{spec.Name} (its settings)" : $"{spec.Name} (image {existing.Image} → {spec.Image})");
        }

        if (proxy is not null && await docker.Services.TryInspectAsync(proxy.Name, ct).ConfigureAwait(false) is { } live
            && live.Labels.GetValueOrDefault(StackContainers.SpecLabel) != proxy.Labels[StackContainers.SpecLabel])
            changes.Add(live.Labels.GetValueOrDefault(RuntimeLabel) == proxy.Labels[RuntimeLabel] ? $"{proxy.Name} (its settings)" : $"{proxy.Name}'s runtime (base of {live.Image} → {proxy.Image})");
        if (changes.Count == 0)
            return;
        if (!recreate)
            throw new DeployFailedException($"the deploy would replace {string.Join("; ", changes)}, dropping their connections: nothing was changed. Run it again with --recreate-infrastructure to do that");
        log($"replacing, as --recreate-infrastructure asks: {string.Join("; ", changes)}");
    }

    /// <summary>Smoke checks through nginx (<see cref="ReleaseChecks"/>); on failure the app service (when it was updated) goes back to its previous spec, and the proxy to its previous release.</summary>
    private async Task SmokeOrThrowAsync(string version, string? rollBackService, CancellationToken ct, IReadOnlyDictionary<string, string?>? proxyBefore = null)
    {
        var smoke = await ReleaseChecks.RunAsync(docker, environment, version, log, ct).ConfigureAwait(false);
        if (smoke.Passed)
        {
            log($"smoke through nginx: {smoke.Described}");
            return;
        }

        var details = smoke.FailureLines;
        if (proxyBefore is not null)
            await RestoreProxyAsync(proxyBefore, ct).ConfigureAwait(false);
        if (rollBackService is null)
            throw new DeployFailedException($"smoke checks through nginx failed: {details}");
        var service = await docker.Services.InspectAsync(Names.SwarmService(rollBackService), ct).ConfigureAwait(false);
        var outcome = await UpdateAsync(service, () => docker.Services.RollbackAsync(service.ID, ct), ct).ConfigureAwait(false);
        log($"{rollBackService} rolled back to its previous spec: {outcome.Detail}");
        throw new DeployFailedException($"smoke checks through nginx failed after the rolling update: {details}; rolled back", rolledBack: true);
    }

    private async Task EnsureOrThrowAsync(ComposeService service, IReadOnlyDictionary<string, SwarmConfig> configs, string? version, CancellationToken ct)
    {
        var outcome = await EnsureAsync(service, configs, version, ct).ConfigureAwait(false);
        if (outcome.State != ConvergeState.Converged)
            throw new DeployFailedException($"{service.Name} did not converge on the swarm: {outcome.Detail}");
    }

    /// <summary>Creates the service, updates it when its spec changed, or leaves it; then waits until it converged.</summary>
    private Task<Converged> EnsureAsync(ComposeService service, IReadOnlyDictionary<string, SwarmConfig> configs, string? version, CancellationToken ct) =>
        EnsureSpecAsync(service.Name, SwarmServices.Spec(service, Names, configs, version), ct);

    private async Task<Converged> EnsureSpecAsync(string service, ServiceSpec spec, CancellationToken ct)
    {
        var existing = await docker.Services.TryInspectAsync(spec.Name, ct).ConfigureAwait(false);
        if (existing is null)
        {
            await docker.Services.CreateAsync(spec, auth, ct).ConfigureAwait(false);
            var created = await WaitRunningAsync(spec.Name, spec.Replicas, spec.Image, ct).ConfigureAwait(false);
            log($"{service} created: {created.Detail}");
            return created;
        }

        if (existing.Labels.GetValueOrDefault(StackContainers.SpecLabel) == spec.Labels[StackContainers.SpecLabel])
        {
            log($"{service} up, unchanged");
            return new Converged(ConvergeState.Converged, "unchanged");
        }

        var outcome = await UpdateAsync(existing, () => docker.Services.UpdateAsync(existing.ID, existing.Version.Index, spec, auth, ct), ct).ConfigureAwait(false);
        log($"{service} updated ({existing.Spec["UpdateConfig"]?["Order"] ?? "stop-first"}): {outcome.Detail}");
        return outcome;
    }

    /// <summary>
    /// Sends an update and follows the swarm's update status until it completes, pauses or is rolled
    /// back. A change that replaces no task (labels only) has no update status: it converged at once.
    /// </summary>
    private async Task<Converged> UpdateAsync(ServiceInspect before, Func<Task> update, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var previousStart = before.UpdateStatus?.StartedAt;
        await update().ConfigureAwait(false);
        var service = await docker.Services.InspectAsync(before.ID, ct).ConfigureAwait(false);
        if (JsonNode.DeepEquals(service.Spec["TaskTemplate"], before.Spec["TaskTemplate"]))
            return new Converged(ConvergeState.Converged, "no task changed");
        while (true)
        {
            var status = service.UpdateStatus;
            if (status?.StartedAt is { } started && started != previousStart)
            {
                var took = $"{clock.Elapsed.TotalSeconds:0.0} s";
                switch (status.State)
                {
                    case "completed":
                        return new Converged(ConvergeState.Converged, $"converged in {took}");
                    case "rollback_completed":
                        return new Converged(ConvergeState.RolledBack, $"{status.Message ?? "rolled back"} after {took}{await LastTaskErrorAsync(service.Name, ct).ConfigureAwait(false)}");
                    case "paused" or "rollback_paused":
                        return new Converged(ConvergeState.Failed, $"update {status.State.Replace('_', ' ')}: {status.Message}{await LastTaskErrorAsync(service.Name, ct).ConfigureAwait(false)}");
                }
            }

            if (clock.Elapsed > UpdateTimeout(service))
                return new Converged(ConvergeState.Failed, $"still {status?.State ?? "not started"} after {clock.Elapsed.TotalSeconds:0} s{await LastTaskErrorAsync(service.Name, ct).ConfigureAwait(false)}");
            await Task.Delay(250, ct).ConfigureAwait(false);
            service = await docker.Services.InspectAsync(before.ID, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Room for every task to get healthy and be watched for its monitor period, one batch after another.</summary>
    private TimeSpan UpdateTimeout(ServiceInspect service)
    {
        var monitor = TimeSpan.FromTicks((service.Spec["UpdateConfig"]?["Monitor"]?.GetValue<long>() ?? 5_000_000_000) / 100);
        var delay = TimeSpan.FromTicks((service.Spec["UpdateConfig"]?["Delay"]?.GetValue<long>() ?? 0) / 100);
        return (environment.Health.Timeout + monitor + delay) * Math.Max(1, service.Replicas) * 2;
    }

    /// <summary>A new service: waits until every replica runs the image (health-gated when it has a health check).</summary>
    private async Task<Converged> WaitRunningAsync(string name, int replicas, string image, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var tasks = await docker.Services.TasksAsync(name, ct).ConfigureAwait(false);
            var running = tasks.Count(t => t.DesiredState == "running" && t.Status.State == "running" && t.Image == image);
            if (running >= replicas)
                return new Converged(ConvergeState.Converged, $"{running}/{replicas} running in {clock.Elapsed.TotalSeconds:0.0} s");
            if (clock.Elapsed > environment.Health.Timeout)
                return new Converged(ConvergeState.Failed, $"{running}/{replicas} tasks running after {environment.Health.Timeout.TotalSeconds:0} s{await LastTaskErrorAsync(name, ct).ConfigureAwait(false)}");
            await Task.Delay(250, ct).ConfigureAwait(false);
        }
    }

    private async Task<string> LastTaskErrorAsync(string service, CancellationToken ct)
    {
        var failed = (await docker.Services.TasksAsync(service, ct).ConfigureAwait(false)).FirstOrDefault(t => t.Status.Err is { Length: > 0 });
        return failed is null ? "" : $"; last task error: {failed.Status.Err}";
    }

    private async Task EnsureNetworksAsync(ComposeStack stack, CancellationToken ct)
    {
        foreach (var network in SwarmServices.Networks(stack))
        {
            var name = Names.Network(network.Name);
            if (await docker.Networks.TryInspectAsync(name, ct).ConfigureAwait(false) is not null)
                continue;
            await docker.Networks.CreateAsync(new NetworkCreateParameters(name)
            {
                Driver = "overlay",
                Internal = network.Internal,
                Attachable = true,
                Labels = SwarmServices.Labels(Names),
            }, ct).ConfigureAwait(false);
            log($"overlay network {name} created{(network.Internal ? " (internal)" : "")}");
        }
    }

    /// <summary>Creates each compose config under a name derived from its content (configs are immutable).</summary>
    private async Task<IReadOnlyDictionary<string, SwarmConfig>> EnsureConfigsAsync(ComposeStack stack, CancellationToken ct)
    {
        var existing = await docker.Configs.ListAsync([$"{SwarmServices.NamespaceLabel}={Names.Stack}"], ct).ConfigureAwait(false);
        var result = new Dictionary<string, SwarmConfig>(StringComparer.Ordinal);
        foreach (var (config, file) in stack.Configs)
        {
            if (!File.Exists(file))
                throw new DeployFailedException($"config {config}: file {file} not found");
            var content = await File.ReadAllBytesAsync(file, ct).ConfigureAwait(false);
            var name = SwarmServices.ConfigName(Names, config, content);
            var id = existing.FirstOrDefault(c => c.Spec.Name == name)?.ID;
            if (id is null)
            {
                id = await docker.Configs.CreateAsync(name, content, SwarmServices.Labels(Names), ct).ConfigureAwait(false);
                log($"config {name} created from {Path.GetFileName(file)}");
            }

            result[config] = new SwarmConfig(id, name);
        }

        return result;
    }

    /// <summary>The service's current spec with another image and version: what a rollback changes, and nothing else.</summary>
    private static JsonObject WithRelease(JsonObject spec, string image, string version)
    {
        var changed = (JsonObject)spec.DeepClone();
        var container = (JsonObject)changed["TaskTemplate"]!["ContainerSpec"]!;
        container["Image"] = image;
        if (container["Env"] is JsonArray env)
        {
            var updated = env.Select(e => e!.GetValue<string>()).Select(e => e.StartsWith("APP_VERSION=", StringComparison.Ordinal) ? $"APP_VERSION={version}" : e);
            container["Env"] = new JsonArray(updated.Select(e => (JsonNode)JsonValue.Create(e)).ToArray());
        }

        var labels = changed["Labels"] as JsonObject ?? [];
        labels[StackContainers.VersionLabel] = version;
        // Not the spec the compose files give: the next deploy updates the service whatever it brings.
        labels[StackContainers.SpecLabel] = "rollback";
        changed["Labels"] = labels;
        return changed;
    }

    private enum ConvergeState
    {
        Converged,
        RolledBack,
        Failed,
    }

    private sealed record Converged(ConvergeState State, string Detail);
}

/// <summary>The plan of one swarm deploy: which services, which app version replaces which; printable before anything runs.</summary>
/// <param name="Manager">Whether the engine manages a swarm yet (a real run makes a bootstrapped one a manager first).</param>
public sealed record SwarmPlan(
    DeployRequest Request,
    ComposeStack Stack,
    ComposeService App,
    string? LiveVersion,
    string? LiveImage,
    bool Manager) : IReleasePlan
{
    public string Version => Request.Version;

    public string Colour => SwarmDeployer.Rolling;

    public IReadOnlyDictionary<string, string> Images
    {
        get
        {
            var images = new Dictionary<string, string> { [App.Name] = Request.AppImage };
            if (Stack.Services.GetValueOrDefault(Request.Environment.Compose.ProxyService) is { } proxy)
                images[proxy.Name] = proxy.Image;
            return images;
        }
    }

    public bool Replaces => LiveImage is not null;

    public string Summary => $"{LiveVersion ?? "(none)"} → {Version}, rolling update";

    public IEnumerable<string> Describe()
    {
        var environment = Request.Environment;
        var names = environment.Names;
        if (!Manager)
            yield return $"swarm        the engine is no swarm manager yet: {(environment.Bootstrap ? "the deploy makes it a single-node swarm" : "the deploy stops there (run docker swarm init on it)")}";
        yield return $"environment  {names.Environment} (swarm, stack {names.Stack})";
        yield return $"app          {App.Name} {LiveVersion ?? "(none)"} → {Version} = {Named(Request.AppImage)}";
        var update = App.Deploy.Update;
        yield return $"rolling      {App.Deploy.Replicas} replicas, {update.Order}, {update.Parallelism} at a time, on failure {update.FailureAction}, monitor {update.Monitor.TotalSeconds:0} s";
        foreach (var service in Stack.StartOrder().Where(s => s.Name != App.Name))
            yield return $"ensure       {service.Name} = {Named(service.Image)}";
        yield return $"then         wait for convergence, smoke via {environment.PublicUrl}, roll back the app when either fails";
    }

    private string Named(string image) => Request.ImageNames.GetValueOrDefault(image, image);
}
