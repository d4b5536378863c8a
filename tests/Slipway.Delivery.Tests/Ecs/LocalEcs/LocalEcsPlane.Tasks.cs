using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Tests.Ecs.LocalEcs;

/// <summary>
/// Each task's agent, as the Fargate agent runs it: resolve secrets and pull with the execution role's credentials,
/// run the essential container on the VPC network with its health check, report RUNNING and health, register a healthy
/// service task as a target; when told to stop (or when it exits or turns unhealthy), deregister, wait the
/// deregistration delay, stop the container, keep its output as the awslogs stream, and report STOPPED.
/// </summary>
internal sealed partial class LocalEcsPlane
{
    private readonly Dictionary<(string Group, string Stream), TaskLogStream> logStreams = [];

    private async Task RunAgentAsync(EcsTask task)
    {
        try
        {
            await RunTaskAsync(task);
        }
        catch (Exception e)
        {
            // Once the plane is disposing, what a task's agent meets (a removed network, a cancelled call) is expected.
            if (!stopping.IsCancellationRequested)
                Broke(e);
        }
    }

    private async Task RunTaskAsync(EcsTask task)
    {
        var ct = stopping.Token;
        string? containerId = null;
        try
        {
            containerId = await StartContainerAsync(task, ct);
            await WatchAsync(task, containerId, ct);
        }
        catch (TaskStartException e)
        {
            lock (gate)
            {
                Fail(task, "TaskFailedToStart", e.Message);
                task.Containers[0].Reason = e.Message;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (IsDockerError(e) || e is InvalidOperationException)
        {
            // The engine or the load balancer failed under the task: it stops, as a task whose host went away.
            lock (gate)
                Fail(task, "TaskFailedToStart", $"ResourceInitializationError: {e.Message}");
        }

        try
        {
            await StopContainerAsync(task, containerId, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e) when (IsDockerError(e) || e is InvalidOperationException)
        {
            lock (gate)
            {
                task.LastStatus = "STOPPED";
                task.StoppedAt = DateTimeOffset.UtcNow;
                task.StoppedReason ??= e.Message;
            }
        }
    }

    private async Task<string> StartContainerAsync(EcsTask task, CancellationToken ct)
    {
        var definition = task.Definition.Containers[0]!.AsObject();
        var container = task.Containers[0];
        Dictionary<string, string> environment;
        lock (gate)
        {
            task.LastStatus = "PENDING";
            environment = Environment(definition, task.Overrides, container.Name);
        }

        try
        {
            await docker.Images.PullAsync(container.Image, Options.RegistryCredentials, ct: ct);
        }
        catch (Exception e) when (IsDockerError(e))
        {
            throw new TaskStartException($"CannotPullContainerError: pull image manifest has been retried 1 time(s): {e.Message}");
        }

        var command = task.Overrides["containerOverrides"]?.AsArray()
            .FirstOrDefault(o => o?["name"]?.GetValue<string>() == container.Name)?["command"]?.AsArray()
            ?? definition["command"]?.AsArray();
        var id = await docker.Containers.CreateAsync(new ContainerSpec
        {
            Name = $"{Name}-{task.Id[..12]}",
            Image = container.Image,
            Cmd = command?.Select(c => c!.GetValue<string>()).ToList(),
            Entrypoint = definition["entryPoint"]?.AsArray().Select(c => c!.GetValue<string>()).ToList(),
            Env = environment,
            Labels = new Dictionary<string, string>(Labels()) { ["org.slipway.local-ecs.task"] = task.Arn },
            Healthcheck = HealthCheck(definition["healthCheck"]),
            Networks = [new NetworkAttachment(Network, [])],
        }, ct);
        lock (gate)
            RecordLogStream(task, id);
        try
        {
            await docker.Containers.StartAsync(id, ct);
        }
        catch (Exception e) when (IsDockerError(e))
        {
            throw new TaskStartException($"CannotStartContainerError: {e.Message}");
        }

        var inspect = await docker.Containers.InspectAsync(id, ct);
        lock (gate)
        {
            task.PrivateIp = inspect.NetworkSettings.Networks?.GetValueOrDefault(Network)?.IPAddress;
            task.LastStatus = "RUNNING";
            task.StartedAt = DateTimeOffset.UtcNow;
            container.LastStatus = "RUNNING";
        }

        return id;
    }

    /// <summary>Follows the running container until the scheduler, StopTask, an exit or a failed health check ends it.</summary>
    private async Task WatchAsync(EcsTask task, string containerId, CancellationToken ct)
    {
        while (true)
        {
            lock (gate)
            {
                if (task.DesiredStatus == "STOPPED")
                    return;
            }

            var state = (await docker.Containers.InspectAsync(containerId, ct)).State;
            var health = state.Health?.Status switch
            {
                "healthy" => "HEALTHY",
                "unhealthy" => "UNHEALTHY",
                _ => "UNKNOWN",
            };
            bool register;
            lock (gate)
            {
                task.HealthStatus = health;
                task.Containers[0].HealthStatus = health;
                if (!state.Running)
                {
                    task.Containers[0].ExitCode = state.ExitCode;
                    Fail(task, "EssentialContainerExited", "Essential container in task exited");
                    return;
                }

                if (health == "UNHEALTHY" && task.Service is { } service)
                {
                    Event(service, $"(service {service.Name}) (task {task.Id}) failed container health checks.");
                    Fail(task, "ServiceSchedulerInitiated", "Task failed container health checks");
                    return;
                }

                register = task.Service?.Target is not null && task.Healthy && !task.Registered;
            }

            if (register)
                await RegisterAsync(task, ct);
            await Task.Delay(Options.SchedulerInterval, ct);
        }
    }

    private async Task RegisterAsync(EcsTask task, CancellationToken ct)
    {
        var service = task.Service!;
        var (targetGroup, _, port) = service.Target!.Value;
        await LoadBalancer.RegisterAsync($"{task.PrivateIp}:{port}", ct);
        lock (gate)
        {
            task.Registered = true;
            Event(service, $"(service {service.Name}) registered 1 targets in (target-group {targetGroup})");
        }
    }

    private async Task StopContainerAsync(EcsTask task, string? containerId, CancellationToken ct)
    {
        bool registered;
        lock (gate)
        {
            task.DesiredStatus = "STOPPED";
            task.StoppingAt ??= DateTimeOffset.UtcNow;
            registered = task.Registered;
            task.LastStatus = registered ? "DEACTIVATING" : "STOPPING";
        }

        if (registered)
        {
            var service = task.Service!;
            var (targetGroup, _, port) = service.Target!.Value;
            lock (gate)
                Event(service, $"(service {service.Name}) has begun draining connections on 1 tasks.");
            await LoadBalancer.DeregisterAsync($"{task.PrivateIp}:{port}", ct);
            await Task.Delay(Options.DeregistrationDelay, ct);
            lock (gate)
            {
                task.Registered = false;
                task.LastStatus = "STOPPING";
                Event(service, $"(service {service.Name}) deregistered 1 targets in (target-group {targetGroup})");
            }
        }

        int? exitCode = null;
        if (containerId is not null)
        {
            var stopTimeout = task.Definition.Containers[0]?["stopTimeout"]?.GetValue<int>() ?? 30;
            await docker.Containers.StopAsync(containerId, TimeSpan.FromSeconds(stopTimeout), ct);
            exitCode = (await docker.Containers.InspectAsync(containerId, ct)).State.ExitCode;
            var logs = await docker.Containers.LogsAsync(containerId, ct);
            lock (gate)
                Streams(task).ForEach(s => s.Keep(logs));
            await docker.Containers.RemoveAsync(containerId, force: true, ct: ct);
        }

        lock (gate)
        {
            task.LastStatus = "STOPPED";
            task.StoppedAt = DateTimeOffset.UtcNow;
            task.HealthStatus = task.HealthStatus == "HEALTHY" ? "UNKNOWN" : task.HealthStatus;
            foreach (var container in task.Containers)
            {
                container.LastStatus = "STOPPED";
                container.ExitCode ??= exitCode;
            }
        }
    }

    /// <summary>The task stopped by itself: a failure its deployment's circuit breaker counts.</summary>
    private static void Fail(EcsTask task, string stopCode, string reason)
    {
        RequestStop(task, stopCode, reason);
        if (task.Deployment is { } deployment && !task.Failed)
        {
            task.Failed = true;
            deployment.FailedTasks++;
            deployment.UpdatedAt = DateTimeOffset.UtcNow;
        }
    }

    /// <summary>The container's environment: its variables, the overrides', and its secrets resolved as the execution role would.</summary>
    private Dictionary<string, string> Environment(JsonObject definition, JsonObject overrides, string containerName)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        var containerOverride = overrides["containerOverrides"]?.AsArray().FirstOrDefault(o => o?["name"]?.GetValue<string>() == containerName);
        foreach (var pair in (definition["environment"]?.AsArray() ?? []).Concat(containerOverride?["environment"]?.AsArray() ?? []))
            environment[pair!["name"]!.GetValue<string>()] = pair["value"]?.GetValue<string>() ?? "";
        foreach (var secret in definition["secrets"]?.AsArray() ?? [])
            environment[secret!["name"]!.GetValue<string>()] = SecretValue(secret["valueFrom"]!.GetValue<string>());
        return environment;
    }

    /// <summary>A Secrets Manager ARN, or ARN:json-key:: for one key of a JSON secret.</summary>
    private string SecretValue(string valueFrom)
    {
        var parts = valueFrom.Split(':');
        var arn = string.Join(':', parts.Take(7));
        if (!secrets.TryGetValue(arn, out var value))
            throw new TaskStartException($"ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret {arn} from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.");
        if (parts.Length > 7 && parts[7].Length > 0)
        {
            var key = parts[7];
            return JsonNode.Parse(value)?[key]?.GetValue<string>()
                ?? throw new TaskStartException($"ResourceInitializationError: unable to pull secrets or registry auth: retrieved secret from Secrets Manager did not contain json key {key}");
        }

        return value;
    }

    private static HealthcheckSpec? HealthCheck(JsonNode? check) => check is null ? null : new HealthcheckSpec(
        [.. check["command"]!.AsArray().Select(c => c!.GetValue<string>())],
        TimeSpan.FromSeconds(check["interval"]?.GetValue<int>() ?? 30),
        TimeSpan.FromSeconds(check["timeout"]?.GetValue<int>() ?? 5),
        check["retries"]?.GetValue<int>() ?? 3,
        TimeSpan.FromSeconds(check["startPeriod"]?.GetValue<int>() ?? 0));

    /// <summary>The awslogs stream of each container with an awslogs configuration: prefix/container/task-id.</summary>
    private void RecordLogStream(EcsTask task, string containerId)
    {
        foreach (var definition in task.Definition.Containers)
        {
            if (definition?["logConfiguration"] is not { } logging || logging["logDriver"]?.GetValue<string>() != "awslogs")
                continue;
            var options = logging["options"];
            var group = options?["awslogs-group"]?.GetValue<string>() ?? "";
            var prefix = options?["awslogs-stream-prefix"]?.GetValue<string>();
            var name = definition["name"]!.GetValue<string>();
            var stream = prefix is null ? task.Id : $"{prefix}/{name}/{task.Id}";
            logStreams[(group, stream)] = new TaskLogStream(task, containerId);
        }
    }

    private List<TaskLogStream> Streams(EcsTask task) => [.. logStreams.Values.Where(s => s.Task == task)];

    private JsonObject HandleLogs(string operation, JsonObject body)
    {
        if (operation != "GetLogEvents")
            throw new AwsErrorException(400, "UnknownOperationException", $"The local CloudWatch Logs does not implement {operation}.");
        var group = Required(body, "logGroupName");
        var name = Required(body, "logStreamName");
        TaskLogStream? stream;
        lock (gate)
            stream = logStreams.GetValueOrDefault((group, name));
        if (stream is null)
            throw new AwsErrorException(400, "ResourceNotFoundException", "The specified log stream does not exist.");

        var lines = stream.Lines(docker);
        var startFromHead = body["startFromHead"]?.GetValue<bool>() ?? false;
        var limit = Math.Clamp(body["limit"]?.GetValue<int>() ?? 10000, 1, 10000);
        var token = Text(body, "nextToken");
        // Tokens are f/<index> (forward from index) and b/<index> (backward, ending before index), as opaque to clients as AWS's.
        int from, to;
        if (token is not null && token.Length > 2 && int.TryParse(token[2..], CultureInfo.InvariantCulture, out var position))
            (from, to) = token[0] == 'f' ? (position, Math.Min(lines.Count, position + limit)) : (Math.Max(0, position - limit), position);
        else
            (from, to) = startFromHead ? (0, Math.Min(lines.Count, limit)) : (Math.Max(0, lines.Count - limit), lines.Count);
        from = Math.Clamp(from, 0, lines.Count);
        to = Math.Clamp(to, from, lines.Count);
        var events = new JsonArray([.. lines.Skip(from).Take(to - from).Select(l => (JsonNode)new JsonObject
        {
            ["timestamp"] = l.Timestamp.ToUnixTimeMilliseconds(),
            ["message"] = l.Message,
            ["ingestionTime"] = l.Timestamp.ToUnixTimeMilliseconds(),
        })]);
        return new JsonObject
        {
            ["events"] = events,
            ["nextForwardToken"] = $"f/{to.ToString("D20", CultureInfo.InvariantCulture)}",
            ["nextBackwardToken"] = $"b/{from.ToString("D20", CultureInfo.InvariantCulture)}",
        };
    }
}

/// <summary>A task could not start (secrets, pull, start): it stops with TaskFailedToStart and this reason.</summary>
internal sealed class TaskStartException(string reason) : Exception(reason);

/// <summary>
/// One container's awslogs stream: read live from the container while it runs, kept when it stops (its container is removed).
/// Docker gives stdout and stderr apart and without times: stdout's lines come first, each stamped with when it was read.
/// </summary>
internal sealed class TaskLogStream(EcsTask task, string containerId)
{
    private List<LogLine>? kept;

    public EcsTask Task { get; } = task;

    public void Keep(ContainerLogs logs) => kept = Split(logs, DateTimeOffset.UtcNow);

    public IReadOnlyList<LogLine> Lines(DockerClient docker)
    {
        if (kept is { } lines)
            return lines;
        try
        {
            return Split(docker.Containers.LogsAsync(containerId).GetAwaiter().GetResult(), Task.StartedAt ?? Task.CreatedAt);
        }
        catch (DockerNotFoundException)
        {
            return kept ?? [];
        }
    }

    private static List<LogLine> Split(ContainerLogs logs, DateTimeOffset at) =>
        [.. (logs.StandardOutput + logs.StandardError)
            .Split('\n')
            .Select(l => l.TrimEnd('\r'))
            .Where(l => l.Length > 0)
            .Select(l => new LogLine(at, l))];
}

internal sealed record LogLine(DateTimeOffset Timestamp, string Message);
