using System.Diagnostics;
using System.Globalization;
using Amazon.Runtime;
using Slipway.Delivery.Deployment.SmokeTests;
using Slipway.Delivery.Environments;
using Slipway.Migrations;
using Slipway.Tools.Aws;

namespace Slipway.Delivery.Deployment;

/// <summary>Where the ECS and CloudWatch Logs APIs are; null: as the AWS SDKs choose (AWS_ENDPOINT_URL_ECS, ..., else the region's).</summary>
public sealed record AwsEndpoints(Uri? Ecs = null, Uri? Logs = null);

/// <summary>
/// An ECS Fargate service behind a load balancer. A deploy copies the live task definition into a new revision with the
/// release's image by digest, migrates with a one-off task of that revision, updates the service with the deployment
/// circuit breaker and rollback on, follows the PRIMARY deployment's rolloutState (COMPLETED, or FAILED and rolled back
/// by ECS), then smoke-checks through the load balancer and goes back to the previous revision itself when that fails.
/// A rollback is the ledger's task definition revision of the target release: nothing is rebuilt or registered.
/// </summary>
/// <param name="credentials">null: the AWS SDK's default chain (<see cref="AwsCredentialResolver"/>).</param>
public sealed class EcsDeployer(DeployEnvironment environment, Action<string> log, AWSCredentials? credentials = null, AwsEndpoints? endpoints = null) : IDeployStrategy
{
    /// <summary>What the ledger's colour column says for an ECS release: tasks are replaced by a rolling deployment.</summary>
    public const string Rolling = "rolling";

    /// <summary>The ledger's images key of the task definition revision a release ran as (its ARN): what a rollback goes back to.</summary>
    public const string TaskDefinitionKey = "ecs-task-definition";

    /// <summary>Marks the migration task (ECS's startedBy, at most 36 characters).</summary>
    public const string ReleasePhaseStartedBy = "slipway-release-phase";

    /// <summary>The release the app reports on /health, as Deploy sets it for the compose stacks.</summary>
    public const string AppVersionVariable = "APP_VERSION";

    private const int LastLines = 20;
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MigrationTimeout = TimeSpan.FromMinutes(30);

    /// <summary>Each call has its own timeout (<see cref="AwsCallPolicy"/>).</summary>
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    private readonly EcsSettings ecs = environment.Ecs ?? throw new ArgumentException($"{environment.SourceFile} has no ecs section", nameof(environment));
    private AwsApis? apis;

    private string App => ecs.ContainerName;

    /// <summary>Nothing to ready: the service and its cluster are terraform's.</summary>
    public Task PrepareAsync(CancellationToken ct) => Task.CompletedTask;

    public async Task<ServingRelease?> ServingAsync(CancellationToken ct)
    {
        var (ecsApi, _) = await ApisAsync(ct).ConfigureAwait(false);
        var service = await Aws(() => ecsApi.DescribeServiceAsync(ecs.Cluster, ecs.Service, ct)).ConfigureAwait(false);
        var definition = await Aws(() => ecsApi.DescribeTaskDefinitionAsync(service.TaskDefinition!, ct)).ConfigureAwait(false);
        return Serving(definition.TaskDefinition);
    }

    private ServingRelease? Serving(EcsTaskDefinition definition) =>
        Container(definition) is { DockerLabels: { } labels } container && labels.GetValueOrDefault(StackContainers.VersionLabel) is { } version
            ? new ServingRelease(version, container.Image, $"ECS service {ecs.Service} ({definition.Family}:{definition.Revision})")
            : null;

    public async Task<IReleasePlan> PlanAsync(DeployRequest request, CancellationToken ct)
    {
        var (ecsApi, _) = await ApisAsync(ct).ConfigureAwait(false);
        var service = await Aws(() => ecsApi.DescribeServiceAsync(ecs.Cluster, ecs.Service, ct)).ConfigureAwait(false);
        var live = await Aws(() => ecsApi.DescribeTaskDefinitionAsync(service.TaskDefinition!, ct)).ConfigureAwait(false);
        var container = Container(live.TaskDefinition) ?? throw new DeployFailedException(
            $"task definition {live.TaskDefinition.Family}:{live.TaskDefinition.Revision} of service {ecs.Service} has no container '{App}' (it has {string.Join(", ", live.TaskDefinition.ContainerDefinitions.Select(c => c.Name))}): " +
            $"set ecs.containerName in {environment.SourceFile} (terraform output container_name)");
        var labels = new Dictionary<string, string>(container.DockerLabels ?? new Dictionary<string, string>()) { [StackContainers.VersionLabel] = request.Version };
        var next = live.TaskDefinition with
        {
            ContainerDefinitions = [.. live.TaskDefinition.ContainerDefinitions.Select(c => c.Name == App ? c with
            {
                Image = request.AppImage,
                DockerLabels = labels,
                Environment = [.. (c.Environment ?? []).Where(v => v.Name != AppVersionVariable), new EcsKeyValuePair(AppVersionVariable, request.Version)],
            } : c)],
        };
        return new EcsPlan(request, ecs, service, live.TaskDefinition, Serving(live.TaskDefinition)?.Version, next, live.Tags);
    }

    /// <summary>ECS must run the image by digest: a tag could be moved between the migration task and the service's tasks.</summary>
    public Task CheckAsync(IReleasePlan plan, CancellationToken ct)
    {
        var image = ((EcsPlan)plan).Request.AppImage;
        return image.Contains("@sha256:", StringComparison.Ordinal)
            ? Task.CompletedTask
            : throw new DeployFailedException($"ECS runs the app image by digest, and {image} is not one: run ./build.sh PushEcr --environment {environment.Names.Environment} first");
    }

    public async Task<DeployResult> ApplyAsync(IReleasePlan releasePlan, Release release, Action<Release> learned, CancellationToken ct)
    {
        var plan = (EcsPlan)releasePlan;
        var (ecsApi, _) = await ApisAsync(ct).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var serving = plan.LiveVersion is null ? $"{plan.LiveDefinitionName} still serving" : $"{plan.LiveVersion} ({plan.LiveDefinitionName}) still serving";

        var registered = await Aws(() => ecsApi.RegisterTaskDefinitionAsync(plan.NewDefinition, plan.Tags, ct)).ConfigureAwait(false);
        var arn = registered.TaskDefinitionArn!;
        log($"registered {registered.Family}:{registered.Revision} with {App} = {plan.Request.AppImage}");
        release = release with { Images = new Dictionary<string, string>(release.Images) { [TaskDefinitionKey] = arn } };
        learned(release);

        if (plan.Request.ReleaseCommand is { Count: > 0 } command)
        {
            release = release with { MigrationVersion = await ReleasePhaseAsync(plan, arn, command, serving, ct).ConfigureAwait(false) };
            learned(release);
        }

        var rolloutClock = Stopwatch.StartNew();
        await RollOutAsync(arn, plan.Version, plan.LiveDefinition.TaskDefinitionArn!, serving, ct).ConfigureAwait(false);
        var rollout = rolloutClock.Elapsed;

        var smoke = await SmokeAsync(plan.Version, ct).ConfigureAwait(false);
        if (!smoke.Passed)
        {
            if (!plan.Replaces)
                throw new DeployFailedException($"{plan.Version} is serving on ECS but failed its smoke checks via {ecs.LoadBalancerUrl}, and no release of ours served before it to go back to: {smoke.FailureLines}");
            log($"smoke checks failed via {ecs.LoadBalancerUrl}: {smoke.FailureLines}; going back to {plan.LiveDefinitionName}");
            await RollOutAsync(plan.LiveDefinition.TaskDefinitionArn!, plan.LiveVersion ?? plan.LiveDefinitionName, null, "", ct).ConfigureAwait(false);
            throw new DeployFailedException(
                $"{plan.Version} failed its smoke checks via {ecs.LoadBalancerUrl} ({smoke.FailureLines}), so the service went back to {plan.LiveDefinitionName} ({plan.LiveVersion}), which serves again", rolledBack: true);
        }

        return new DeployResult(release with { Outcome = ReleaseOutcome.Succeeded, FinishedAt = DateTimeOffset.UtcNow }, Rolling, Rolling, rollout, clock.Elapsed)
        {
            Described = $"ECS deployment of {ecs.Service} to {plan.Version} ({registered.Family}:{registered.Revision}): COMPLETED in {rollout.TotalSeconds:0.0} s, smoke {smoke.Summary}",
        };
    }

    public async Task<RollbackPlan> PlanRollbackAsync(RollbackRequest request, ReleaseLedger ledger, CancellationToken ct)
    {
        var (ecsApi, _) = await ApisAsync(ct).ConfigureAwait(false);
        var service = await Aws(() => ecsApi.DescribeServiceAsync(ecs.Cluster, ecs.Service, ct)).ConfigureAwait(false);
        var live = await Aws(() => ecsApi.DescribeTaskDefinitionAsync(service.TaskDefinition!, ct)).ConfigureAwait(false);
        var choice = await ledger.ChooseRollbackAsync(Serving(live.TaskDefinition), request, App, ct).ConfigureAwait(false);
        var target = choice.Target.Images.GetValueOrDefault(TaskDefinitionKey)
            ?? throw new DeployFailedException($"the ledger has no ECS task definition for {choice.Target.Version} (it was not deployed to ECS): roll back with --to-version V of an ECS release; nothing changed");
        return new EcsRollback(choice, target,
        [
            $"update       service {ecs.Service} {live.TaskDefinition.Family}:{live.TaskDefinition.Revision} → {ShortArn(target)} ({choice.AppImage}), circuit breaker on with rollback; nothing rebuilt or registered",
            $"then         follow the PRIMARY deployment's rolloutState ≤ {environment.Health.Timeout.TotalSeconds:0} s, smoke via {ecs.LoadBalancerUrl}",
        ]);
    }

    public async Task<DeployResult> RollBackAsync(RollbackPlan plan, Release release, CancellationToken ct)
    {
        var rollback = (EcsRollback)plan;
        var clock = Stopwatch.StartNew();
        var version = rollback.Choice.Target.Version;
        await RollOutAsync(rollback.TaskDefinition, version, null, $"{rollback.Choice.From ?? "nothing"} still serving", ct).ConfigureAwait(false);
        var rollout = clock.Elapsed;
        var smoke = await SmokeAsync(version, ct).ConfigureAwait(false);
        if (!smoke.Passed)
            throw new DeployFailedException($"the service is back on {ShortArn(rollback.TaskDefinition)} ({version}) but it failed its smoke checks via {ecs.LoadBalancerUrl}: {smoke.FailureLines}");
        return new DeployResult(release with { Outcome = ReleaseOutcome.Succeeded, FinishedAt = DateTimeOffset.UtcNow }, Rolling, Rolling, rollout, clock.Elapsed)
        {
            Described = $"ECS deployment of {ecs.Service} back to {version} ({ShortArn(rollback.TaskDefinition)}): COMPLETED in {rollout.TotalSeconds:0.0} s",
        };
    }

    /// <summary>
    /// Runs the release command once as a one-off task of the new revision on the service's subnets and security groups,
    /// waits for it to stop, and shows its log. A non-zero exit (or a task that never ran its container) stops the deploy.
    /// </summary>
    /// <returns>The schema version the command reported, if it did.</returns>
    private async Task<string?> ReleasePhaseAsync(EcsPlan plan, string taskDefinition, IReadOnlyList<string> command, string serving, CancellationToken ct)
    {
        var (ecsApi, logs) = await ApisAsync(ct).ConfigureAwait(false);
        var network = new EcsNetworkConfiguration(new EcsAwsVpcConfiguration(ecs.Subnets, ecs.SecurityGroups,
            plan.Live.NetworkConfiguration?.AwsvpcConfiguration?.AssignPublicIp ?? "DISABLED"));
        var shown = string.Join(' ', command);
        log($"release phase: `{shown}` as a one-off task of {ShortArn(taskDefinition)} in cluster {ecs.Cluster}");
        var clock = Stopwatch.StartNew();
        var task = await Aws(() => ecsApi.RunTaskAsync(new RunTaskRequest(ecs.Cluster, taskDefinition, 1, plan.Live.LaunchType ?? "FARGATE", network,
            new EcsTaskOverride([new EcsContainerOverride(App, command)]), ReleasePhaseStartedBy), ct)).ConfigureAwait(false);
        EcsTask stopped;
        try
        {
            stopped = await UntilStoppedAsync(ecsApi, task, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or DeployFailedException)
        {
            // Ctrl+C or the timeout: a migration stopped mid-way rolls its transaction back.
            await TryStopAsync(ecsApi, task.TaskArn, "the deploy that started it stopped").ConfigureAwait(false);
            throw;
        }

        var lines = await logs.LastLinesAsync(ecs.LogGroup, CloudWatchLogsClient.StreamName(ecs.LogStreamPrefix, App, stopped.Id), 100, ct).ConfigureAwait(false);
        foreach (var line in lines)
            log($"  | {line}");
        var exitCode = stopped.Containers.FirstOrDefault(c => c.Name == App)?.ExitCode;
        if (exitCode != 0)
        {
            var last = lines.Count == 0 ? "  | (no output)" : string.Join('\n', lines.TakeLast(LastLines).Select(l => $"  | {l}"));
            var exit = exitCode is { } code ? $"exited with code {code.ToString(CultureInfo.InvariantCulture)}" : $"never ran its container ({stopped.StopCode}: {stopped.StoppedReason})";
            throw new DeployFailedException($"release phase `{shown}` {exit}, so the service was not touched ({serving}); last {LastLines} lines of its log:\n{last}");
        }

        var version = SchemaVersionLine.Find(string.Join('\n', lines))?.ToString(CultureInfo.InvariantCulture);
        log($"release phase done in {clock.Elapsed.TotalSeconds:0.0} s{(version is null ? "" : $", schema version {version}")}");
        return version;
    }

    private async Task<EcsTask> UntilStoppedAsync(EcsClient ecsApi, EcsTask task, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var now = (await Aws(() => ecsApi.DescribeTasksAsync(ecs.Cluster, [task.TaskArn], ct)).ConfigureAwait(false)).FirstOrDefault();
            if (now?.LastStatus == "STOPPED")
                return now;
            if (deadline.Elapsed > MigrationTimeout)
                throw new DeployFailedException($"release phase task {task.Id} did not stop within {MigrationTimeout.TotalMinutes:0} minutes: stopped it; the service was not touched");
            await Task.Delay(Poll, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Updates the service to <paramref name="taskDefinition"/> with the circuit breaker and rollback on, and follows the
    /// deployment it starts until ECS calls it COMPLETED. FAILED, or the circuit breaker putting another deployment in
    /// its place, is a <see cref="DeployFailedException"/> with the service's events and a stopped task's last log lines,
    /// once the service is back on what served before.
    /// </summary>
    /// <param name="previous">The task definition ECS goes back to when it rolls back; null when this is itself a return.</param>
    private async Task RollOutAsync(string taskDefinition, string version, string? previous, string serving, CancellationToken ct)
    {
        var (ecsApi, _) = await ApisAsync(ct).ConfigureAwait(false);
        var before = await Aws(() => ecsApi.DescribeServiceAsync(ecs.Cluster, ecs.Service, ct)).ConfigureAwait(false);
        var configuration = (before.DeploymentConfiguration ?? new EcsDeploymentConfiguration()) with { DeploymentCircuitBreaker = new EcsCircuitBreaker(true, true) };
        var since = DateTimeOffset.UtcNow.AddSeconds(-5);
        var updated = await Aws(() => ecsApi.UpdateServiceAsync(new UpdateServiceRequest(ecs.Cluster, ecs.Service, taskDefinition, configuration), ct)).ConfigureAwait(false);
        var deployment = updated.Primary ?? throw new DeployFailedException($"ECS UpdateService of {ecs.Service} returned no PRIMARY deployment");
        log($"service {ecs.Service} → {ShortArn(taskDefinition)}: deployment {deployment.Id}, {deployment.DesiredCount} tasks, circuit breaker on with rollback");

        var clock = Stopwatch.StartNew();
        string? lastProgress = null;
        while (true)
        {
            var service = await Aws(() => ecsApi.DescribeServiceAsync(ecs.Cluster, ecs.Service, ct)).ConfigureAwait(false);
            var ours = service.Deployments.FirstOrDefault(d => d.Id == deployment.Id);
            if (ours is { Status: "PRIMARY", RolloutState: "COMPLETED" })
            {
                log($"deployment {deployment.Id} COMPLETED in {clock.Elapsed.TotalSeconds:0.0} s: {version} serves");
                return;
            }

            if (ours is null || ours.RolloutState == "FAILED" || ours.Status != "PRIMARY")
                throw await FailedAsync(ecsApi, service, deployment.Id, taskDefinition, version, ours?.RolloutStateReason ?? service.Primary?.RolloutStateReason, previous, serving, since, ct).ConfigureAwait(false);

            var progress = $"{ours.RunningCount}/{ours.DesiredCount} running, {ours.FailedTasks} failed";
            if (progress != lastProgress)
                log($"  {deployment.Id}: {progress} ({ours.RolloutState})");
            lastProgress = progress;
            if (clock.Elapsed > environment.Health.Timeout)
            {
                throw new DeployFailedException(
                    $"ECS deployment {deployment.Id} of {version} is still {ours.RolloutState} after {environment.Health.Timeout.TotalSeconds:0} s (health.timeoutSeconds): " +
                    $"ECS goes on with it and its circuit breaker decides; events:\n{Events(service, since)}");
            }

            await Task.Delay(Poll, ct).ConfigureAwait(false);
        }
    }

    private async Task<DeployFailedException> FailedAsync(EcsClient ecsApi, EcsService service, string deploymentId, string taskDefinition, string version, string? reason, string? previous, string serving, DateTimeOffset since, CancellationToken ct)
    {
        var lastLines = await StoppedTaskLinesAsync(ecsApi, taskDefinition, ct).ConfigureAwait(false);
        var rolledBack = previous is not null && await BackOnAsync(ecsApi, previous, ct).ConfigureAwait(false);
        var what = rolledBack
            ? $"the ECS circuit breaker failed deployment {deploymentId} of {version} and rolled the service back to {ShortArn(previous!)} ({serving})"
            : $"ECS deployment {deploymentId} of {version} failed";
        return new DeployFailedException($"{what}: {reason ?? "no reason given"}\nservice events:\n{Events(service, since)}\n{lastLines}", rolledBack);
    }

    /// <summary>Waits for the circuit breaker's own rollback to complete on <paramref name="previous"/>; false when it does not.</summary>
    private async Task<bool> BackOnAsync(EcsClient ecsApi, string previous, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < environment.Health.Timeout)
        {
            var service = await Aws(() => ecsApi.DescribeServiceAsync(ecs.Cluster, ecs.Service, ct)).ConfigureAwait(false);
            if (service.Primary is { RolloutState: "COMPLETED" } primary)
                return primary.TaskDefinition == previous;
            await Task.Delay(Poll, ct).ConfigureAwait(false);
        }

        return false;
    }

    /// <summary>The last log lines of a stopped task of <paramref name="taskDefinition"/>, with why it stopped.</summary>
    private async Task<string> StoppedTaskLinesAsync(EcsClient ecsApi, string taskDefinition, CancellationToken ct)
    {
        var (_, logs) = await ApisAsync(ct).ConfigureAwait(false);
        var arns = await Aws(() => ecsApi.ListTasksAsync(new ListTasksRequest(ecs.Cluster) { ServiceName = ecs.Service, DesiredStatus = "STOPPED" }, ct)).ConfigureAwait(false);
        var tasks = await Aws(() => ecsApi.DescribeTasksAsync(ecs.Cluster, [.. arns.Take(100)], ct)).ConfigureAwait(false);
        var task = tasks.Where(t => t.TaskDefinitionArn == taskDefinition).OrderByDescending(t => t.StoppedAt).FirstOrDefault();
        if (task is null)
            return "(no stopped task of it to show)";
        var container = task.Containers.FirstOrDefault(c => c.Name == App);
        var lines = await logs.LastLinesAsync(ecs.LogGroup, CloudWatchLogsClient.StreamName(ecs.LogStreamPrefix, App, task.Id), LastLines, ct).ConfigureAwait(false);
        return $"task {task.Id} stopped ({task.StopCode}: {task.StoppedReason}{(container?.ExitCode is { } code ? $", exit code {code}" : "")}); last {LastLines} lines of its log:\n" +
            (lines.Count == 0 ? "  | (no output)" : string.Join('\n', lines.Select(l => $"  | {l}")));
    }

    private static string Events(EcsService service, DateTimeOffset since)
    {
        var events = service.Events.Where(e => e.CreatedAt >= since).OrderBy(e => e.CreatedAt).TakeLast(10).ToList();
        return events.Count == 0 ? "  (none)" : string.Join('\n', events.Select(e => $"  {e.CreatedAt.UtcDateTime:HH:mm:ss} {e.Message}"));
    }

    private Task<SmokeReport> SmokeAsync(string version, CancellationToken ct) => SmokeTester.RunAsync(SmokeTarget(environment, version), ct);

    /// <summary>The smoke checks of an ECS environment: /health with the version, the database and Redis, through its load balancer.</summary>
    public static SmokeTarget SmokeTarget(DeployEnvironment environment, string version) =>
        new(environment.Ecs!.LoadBalancerUrl, version, environment.TrustedCaFile, false, environment.Smoke.Timeout, environment.Smoke.Retries, environment.Smoke.InitialBackoff);

    private async Task TryStopAsync(EcsClient ecsApi, string task, string reason)
    {
        try
        {
            await ecsApi.StopTaskAsync(ecs.Cluster, task, reason, CancellationToken.None).ConfigureAwait(false);
        }
        catch (EcsException e)
        {
            log($"could not stop task {task} ({e.Message}): stop it with `aws ecs stop-task --cluster {ecs.Cluster} --task {task}`");
        }
    }

    private EcsContainerDefinition? Container(EcsTaskDefinition definition) => definition.ContainerDefinitions.FirstOrDefault(c => c.Name == App);

    /// <summary>family:revision of a task definition ARN.</summary>
    private static string ShortArn(string arn) => arn[(arn.LastIndexOf('/') + 1)..];

    private static async Task<T> Aws<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (EcsException e)
        {
            throw new DeployFailedException(e.Message);
        }
    }

    private async Task<AwsApis> ApisAsync(CancellationToken ct)
    {
        if (apis is not null)
            return apis;
        ResolvedAwsCredentials resolved;
        try
        {
            resolved = await AwsCredentialResolver.ResolveAsync(credentials, ct).ConfigureAwait(false);
        }
        catch (AwsCredentialsException e)
        {
            throw new DeployFailedException($"{environment.Names.Environment} is an ECS service: {e.Message}");
        }

        var source = new EcsSettingsSource(environment.SourceFile);
        return apis = new AwsApis(
            new EcsClient(Http, resolved.Credentials, ecs.Region, source, endpoints?.Ecs),
            new CloudWatchLogsClient(Http, resolved.Credentials, ecs.Region, endpoints?.Logs));
    }

    private sealed record AwsApis(EcsClient Ecs, CloudWatchLogsClient Logs);
}
