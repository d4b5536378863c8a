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
public sealed class SwarmDeployer
{
    /// <summary>What the ledger's colour column says for a swarm release: tasks are replaced in place.</summary>
    public const string Rolling = "rolling";

    private readonly DockerClient docker;
    private readonly DeployEnvironment environment;
    private readonly RegistryAuth? auth;
    private readonly Action<string> log;

    private SwarmDeployer(DockerClient docker, DeployEnvironment environment, RegistryAuth? auth, Action<string> log)
    {
        this.docker = docker;
        this.environment = environment;
        this.auth = auth;
        this.log = log;
    }

    private StackNames Names => environment.Names;

    /// <summary>Reads the compose files and the swarm's services; changes nothing.</summary>
    public static async Task<SwarmPlan> PlanAsync(DockerClient docker, DeployRequest request, CancellationToken ct = default)
    {
        var environment = request.Environment;
        var stack = SingleHostDeployer.LoadStack(environment, request.RepositoryRoot, request.AppImage, request.Version, request.Variables);
        var app = stack.Service(environment.Compose.AppService);
        var live = await docker.Services.TryInspectAsync(environment.Names.SwarmService(app.Name), ct).ConfigureAwait(false);
        return new SwarmPlan(environment, request.Version, request.AppImage, stack, app, live?.Labels.GetValueOrDefault(StackContainers.VersionLabel), live?.Image);
    }

    /// <summary>Deploys under the environment's lock and records the outcome in its ledger.</summary>
    public static async Task<DeployResult> DeployAsync(DockerClient docker, DeployRequest request, Action<string> log, CancellationToken ct = default)
    {
        var environment = request.Environment;
        await EnsureManagerAsync(docker, environment, log, ct).ConfigureAwait(false);
        await using var deployLock = await DeployLock.AcquireAsync(docker, environment.Names, request.Who, ct).ConfigureAwait(false);
        var plan = await PlanAsync(docker, request, ct).ConfigureAwait(false);
        var ledger = await ReleaseLedger.OpenHoldingLockAsync(docker, environment.Names, log, ct).ConfigureAwait(false);
        var previous = ReleaseLedger.Current(await ledger.ReadAsync(ct).ConfigureAwait(false));
        var release = new Release(request.Version, ReleaseKind.Deploy, Rolling, request.Who.Who + "@" + request.Who.Host, DateTimeOffset.UtcNow, null,
            new Dictionary<string, string> { [plan.App.Name] = request.AppImage }, null, ReleaseOutcome.InProgress,
            plan.LiveImage is null ? null : previous?.Version);
        await ledger.RecordAsync(release, ct).ConfigureAwait(false);

        var deployer = new SwarmDeployer(docker, environment, request.RegistryAuth, log);
        try
        {
            var result = await deployer.RunAsync(plan, request, release, ct).ConfigureAwait(false);
            await ledger.RecordAsync(result.Release, ct).ConfigureAwait(false);
            return result;
        }
        catch (Exception e)
        {
            await ledger.RecordFailureAsync(release, ReleaseLedger.OutcomeOf(e), e).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Puts the app service back on a release in the ledger (the previous one by default): only its image
    /// and version change, nothing is rebuilt or pushed, and the swarm rolls its tasks as for a deploy.
    /// </summary>
    public static async Task<DeployResult> RollbackAsync(DockerClient docker, DeployEnvironment environment, string? toVersion, RegistryAuth? auth, Action<string> log, CancellationToken ct = default)
    {
        await EnsureManagerAsync(docker, environment, log, ct).ConfigureAwait(false);
        var who = LockHolder.Current();
        await using var deployLock = await DeployLock.AcquireAsync(docker, environment.Names, who, ct).ConfigureAwait(false);
        var ledger = await ReleaseLedger.OpenHoldingLockAsync(docker, environment.Names, log, ct).ConfigureAwait(false);
        var appService = environment.Compose.AppService;
        var (current, target, image) = await ledger.ChooseRollbackAsync(toVersion, environment.Names.Environment, appService, ct).ConfigureAwait(false);
        var service = await docker.Services.TryInspectAsync(environment.Names.SwarmService(appService), ct).ConfigureAwait(false)
            ?? throw new DeployFailedException($"{environment.Names.Environment} has no {appService} service on the swarm: deploy before rolling back");

        var release = new Release(target.Version, ReleaseKind.Rollback, Rolling, who.Who + "@" + who.Host, DateTimeOffset.UtcNow, null,
            target.Images, target.MigrationVersion, ReleaseOutcome.InProgress, current?.Version, $"rollback to {target.Version}");
        await ledger.RecordAsync(release, ct).ConfigureAwait(false);
        var deployer = new SwarmDeployer(docker, environment, auth, log);
        try
        {
            var clock = Stopwatch.StartNew();
            var spec = WithRelease(service.Spec, image, target.Version);
            var outcome = await deployer.UpdateAsync(service, () => docker.Services.UpdateAsync(service.ID, service.Version.Index, spec, auth, ct), ct).ConfigureAwait(false);
            if (outcome.State != ConvergeState.Converged)
                throw new DeployFailedException($"rollback of {appService} to {target.Version} did not converge: {outcome.Detail}");
            log($"{appService} back on {target.Version} ({image}), converged in {clock.Elapsed.TotalSeconds:0.0} s");
            await deployer.SmokeOrThrowAsync(target.Version, null, ct).ConfigureAwait(false);
            var result = new DeployResult(release with { Outcome = ReleaseOutcome.Succeeded, FinishedAt = DateTimeOffset.UtcNow }, Rolling, Rolling, clock.Elapsed, clock.Elapsed)
            {
                Described = $"rolling update of {appService} back to {target.Version}: converged in {clock.Elapsed.TotalSeconds:0.0} s",
            };
            await ledger.RecordAsync(result.Release, ct).ConfigureAwait(false);
            return result;
        }
        catch (Exception e)
        {
            await ledger.RecordFailureAsync(release, ReleaseOutcome.Failed, e).ConfigureAwait(false);
            throw;
        }
    }

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

    private async Task<DeployResult> RunAsync(SwarmPlan plan, DeployRequest request, Release release, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await EnsureNetworksAsync(plan.Stack, ct).ConfigureAwait(false);
        var configs = await EnsureConfigsAsync(plan.Stack, ct).ConfigureAwait(false);
        var app = plan.App.Name;
        var proxy = environment.Compose.ProxyService;
        foreach (var service in plan.Stack.StartOrder().Where(s => s.Name != app && s.Name != proxy))
            await EnsureOrThrowAsync(service, configs, null, ct).ConfigureAwait(false);
        release = release with { MigrationVersion = await new ReleasePhase(docker, request, plan.Stack, log).RunAsync(plan.App, $"{plan.LiveVersion ?? "nothing"} still serving", ct).ConfigureAwait(false) };

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
        if (plan.Stack.Services.ContainsKey(proxy))
            await EnsureOrThrowAsync(plan.Stack.Service(proxy), configs, null, ct).ConfigureAwait(false);
        await SmokeOrThrowAsync(plan.Version, plan.LiveImage is null ? null : app, ct).ConfigureAwait(false);
        return new DeployResult(release with { Outcome = ReleaseOutcome.Succeeded, FinishedAt = DateTimeOffset.UtcNow }, Rolling, Rolling, appTime, clock.Elapsed)
        {
            Described = $"rolling update of {app} to {plan.Version}: converged in {appTime.TotalSeconds:0.0} s",
        };
    }

    /// <summary>Smoke checks through the public URL; on failure the app service (when it was updated) goes back to its previous spec.</summary>
    private async Task SmokeOrThrowAsync(string version, string? rollBackService, CancellationToken ct)
    {
        var smoke = await SmokeTester.RunAsync(SingleHostDeployer.PublicSmokeTarget(environment, version), ct).ConfigureAwait(false);
        if (smoke.Passed)
        {
            log($"smoke through {environment.PublicUrl}: {smoke.Summary}");
            return;
        }

        var details = string.Join("; ", smoke.Failures.Select(f => $"{f.Name} → {f.Detail}"));
        if (rollBackService is null)
            throw new DeployFailedException($"smoke checks through {environment.PublicUrl} failed: {details}");
        var service = await docker.Services.InspectAsync(Names.SwarmService(rollBackService), ct).ConfigureAwait(false);
        var outcome = await UpdateAsync(service, () => docker.Services.RollbackAsync(service.ID, ct), ct).ConfigureAwait(false);
        log($"{rollBackService} rolled back to its previous spec: {outcome.Detail}");
        throw new DeployFailedException($"smoke checks through {environment.PublicUrl} failed after the rolling update: {details}; rolled back", rolledBack: true);
    }

    private async Task EnsureOrThrowAsync(ComposeService service, IReadOnlyDictionary<string, SwarmConfig> configs, string? version, CancellationToken ct)
    {
        var outcome = await EnsureAsync(service, configs, version, ct).ConfigureAwait(false);
        if (outcome.State != ConvergeState.Converged)
            throw new DeployFailedException($"{service.Name} did not converge on the swarm: {outcome.Detail}");
    }

    /// <summary>Creates the service, updates it when its spec changed, or leaves it; then waits until it converged.</summary>
    private async Task<Converged> EnsureAsync(ComposeService service, IReadOnlyDictionary<string, SwarmConfig> configs, string? version, CancellationToken ct)
    {
        var spec = SwarmServices.Spec(service, Names, configs, version);
        var existing = await docker.Services.TryInspectAsync(spec.Name, ct).ConfigureAwait(false);
        if (existing is null)
        {
            await docker.Services.CreateAsync(spec, auth, ct).ConfigureAwait(false);
            var created = await WaitRunningAsync(spec.Name, spec.Replicas, spec.Image, ct).ConfigureAwait(false);
            log($"{service.Name} created: {created.Detail}");
            return created;
        }

        if (existing.Labels.GetValueOrDefault(StackContainers.SpecLabel) == spec.Labels[StackContainers.SpecLabel])
        {
            log($"{service.Name} up, unchanged");
            return new Converged(ConvergeState.Converged, "unchanged");
        }

        var outcome = await UpdateAsync(existing, () => docker.Services.UpdateAsync(existing.ID, existing.Version.Index, spec, auth, ct), ct).ConfigureAwait(false);
        log($"{service.Name} updated ({existing.Spec["UpdateConfig"]?["Order"] ?? "stop-first"}): {outcome.Detail}");
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
public sealed record SwarmPlan(
    DeployEnvironment Environment,
    string Version,
    string AppImage,
    ComposeStack Stack,
    ComposeService App,
    string? LiveVersion,
    string? LiveImage)
{
    public IEnumerable<string> Describe()
    {
        var names = Environment.Names;
        yield return $"environment  {names.Environment} (swarm, stack {names.Stack})";
        yield return $"app          {App.Name} {LiveVersion ?? "(none)"} → {Version} = {AppImage}";
        var update = App.Deploy.Update;
        yield return $"rolling      {App.Deploy.Replicas} replicas, {update.Order}, {update.Parallelism} at a time, on failure {update.FailureAction}, monitor {update.Monitor.TotalSeconds:0} s";
        foreach (var service in Stack.StartOrder().Where(s => s.Name != App.Name))
            yield return $"ensure       {service.Name} = {service.Image}";
        yield return $"then         wait for convergence, smoke via {Environment.PublicUrl}, roll back the app when either fails";
    }
}
