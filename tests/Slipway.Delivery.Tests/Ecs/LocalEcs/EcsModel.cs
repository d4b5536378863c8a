using System.Text.Json.Nodes;

namespace Slipway.Delivery.Tests.Ecs.LocalEcs;

/// <summary>The account and region the plane's ARNs carry.</summary>
internal sealed record EcsArns(string Region, string Account)
{
    public string Cluster(string name) => $"arn:aws:ecs:{Region}:{Account}:cluster/{name}";

    public string Service(string cluster, string name) => $"arn:aws:ecs:{Region}:{Account}:service/{cluster}/{name}";

    public string TaskDefinition(string family, int revision) => $"arn:aws:ecs:{Region}:{Account}:task-definition/{family}:{revision}";

    public string Task(string cluster, string id) => $"arn:aws:ecs:{Region}:{Account}:task/{cluster}/{id}";

    public string Container(string cluster, string taskId, string name) => $"arn:aws:ecs:{Region}:{Account}:container/{cluster}/{taskId}/{name}";
}

/// <summary>One registered revision: the body as registered plus what ECS adds (ARN, revision, status).</summary>
internal sealed record TaskDefinitionRevision(string Family, int Revision, string Arn, JsonObject Body)
{
    public JsonArray Containers => Body["containerDefinitions"]!.AsArray();
}

internal sealed class EcsCluster(string name, string arn)
{
    public string Name { get; } = name;

    public string Arn { get; } = arn;

    public Dictionary<string, EcsService> Services { get; } = new(StringComparer.Ordinal);

    public JsonObject ToJson(int activeServices, int runningTasks, int pendingTasks) => new()
    {
        ["clusterArn"] = Arn,
        ["clusterName"] = Name,
        ["status"] = "ACTIVE",
        ["activeServicesCount"] = activeServices,
        ["runningTasksCount"] = runningTasks,
        ["pendingTasksCount"] = pendingTasks,
        ["registeredContainerInstancesCount"] = 0,
        ["capacityProviders"] = new JsonArray("FARGATE"),
    };
}

/// <summary>The circuit breaker and rolling-update bounds of a service.</summary>
internal sealed record DeploymentSettings(int MaximumPercent, int MinimumHealthyPercent, bool BreakerEnabled, bool Rollback)
{
    public static DeploymentSettings Default { get; } = new(200, 100, false, false);

    /// <summary>AWS's threshold: half the desired count rounded up, at least 3, at most 200.</summary>
    public static int FailureThreshold(int desiredCount) => Math.Clamp((desiredCount + 1) / 2, 3, 200);

    public DeploymentSettings With(JsonNode? configuration)
    {
        if (configuration is null)
            return this;
        var breaker = configuration["deploymentCircuitBreaker"];
        return new DeploymentSettings(
            configuration["maximumPercent"]?.GetValue<int>() ?? MaximumPercent,
            configuration["minimumHealthyPercent"]?.GetValue<int>() ?? MinimumHealthyPercent,
            breaker?["enable"]?.GetValue<bool>() ?? BreakerEnabled,
            breaker?["rollback"]?.GetValue<bool>() ?? Rollback);
    }

    public JsonObject ToJson() => new()
    {
        ["deploymentCircuitBreaker"] = new JsonObject { ["enable"] = BreakerEnabled, ["rollback"] = Rollback },
        ["maximumPercent"] = MaximumPercent,
        ["minimumHealthyPercent"] = MinimumHealthyPercent,
    };
}

internal sealed class EcsDeployment(string id, string taskDefinitionArn, int desiredCount, DateTimeOffset createdAt)
{
    public string Id { get; } = id;

    public string Status { get; set; } = "PRIMARY";

    public string TaskDefinitionArn { get; } = taskDefinitionArn;

    public int DesiredCount { get; set; } = desiredCount;

    public int RunningCount { get; set; }

    public int PendingCount { get; set; }

    public int FailedTasks { get; set; }

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public DateTimeOffset UpdatedAt { get; set; } = createdAt;

    public string RolloutState { get; set; } = "IN_PROGRESS";

    public string RolloutStateReason { get; set; } = $"ECS deployment {id} in progress.";

    public JsonObject ToJson(JsonNode? networkConfiguration) => new()
    {
        ["id"] = Id,
        ["status"] = Status,
        ["taskDefinition"] = TaskDefinitionArn,
        ["desiredCount"] = DesiredCount,
        ["pendingCount"] = PendingCount,
        ["runningCount"] = RunningCount,
        ["failedTasks"] = FailedTasks,
        ["createdAt"] = EpochSeconds(CreatedAt),
        ["updatedAt"] = EpochSeconds(UpdatedAt),
        ["launchType"] = "FARGATE",
        ["platformVersion"] = "1.4.0",
        ["networkConfiguration"] = networkConfiguration?.DeepClone(),
        ["rolloutState"] = RolloutState,
        ["rolloutStateReason"] = RolloutStateReason,
    };

    public static double EpochSeconds(DateTimeOffset at) => Math.Round(at.ToUnixTimeMilliseconds() / 1000.0, 3);
}

internal sealed record ServiceEvent(string Id, DateTimeOffset CreatedAt, string Message)
{
    public JsonObject ToJson() => new() { ["id"] = Id, ["createdAt"] = EcsDeployment.EpochSeconds(CreatedAt), ["message"] = Message };
}

internal sealed class EcsService(string name, string arn, EcsCluster cluster)
{
    public string Name { get; } = name;

    public string Arn { get; } = arn;

    public EcsCluster Cluster { get; } = cluster;

    public required string TaskDefinitionArn { get; set; }

    public int DesiredCount { get; set; }

    public DeploymentSettings Settings { get; set; } = DeploymentSettings.Default;

    public JsonArray LoadBalancers { get; init; } = [];

    public JsonNode? NetworkConfiguration { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Newest first, as DescribeServices lists them; PRIMARY is the first.</summary>
    public List<EcsDeployment> Deployments { get; } = [];

    /// <summary>Newest first.</summary>
    public List<ServiceEvent> Events { get; } = [];

    /// <summary>The last deployment that reached COMPLETED: where a circuit-breaker rollback returns.</summary>
    public EcsDeployment? LastCompleted { get; set; }

    public EcsDeployment Primary => Deployments[0];

    /// <summary>The container behind the load balancer and its port, when the service has a target group.</summary>
    public (string TargetGroupArn, string Container, int Port)? Target =>
        LoadBalancers.FirstOrDefault() is { } lb
            ? (lb["targetGroupArn"]?.GetValue<string>() ?? "", lb["containerName"]!.GetValue<string>(), lb["containerPort"]!.GetValue<int>())
            : null;

    public JsonObject ToJson() => new()
    {
        ["serviceArn"] = Arn,
        ["serviceName"] = Name,
        ["clusterArn"] = Cluster.Arn,
        ["loadBalancers"] = LoadBalancers.DeepClone(),
        ["serviceRegistries"] = new JsonArray(),
        ["status"] = "ACTIVE",
        ["desiredCount"] = DesiredCount,
        ["runningCount"] = Deployments.Sum(d => d.RunningCount),
        ["pendingCount"] = Deployments.Sum(d => d.PendingCount),
        ["launchType"] = "FARGATE",
        ["platformVersion"] = "LATEST",
        ["taskDefinition"] = TaskDefinitionArn,
        ["deploymentConfiguration"] = Settings.ToJson(),
        ["deployments"] = new JsonArray([.. Deployments.Select(d => d.ToJson(NetworkConfiguration))]),
        ["events"] = new JsonArray([.. Events.Take(100).Select(e => e.ToJson())]),
        ["createdAt"] = EcsDeployment.EpochSeconds(CreatedAt),
        ["networkConfiguration"] = NetworkConfiguration?.DeepClone(),
        ["schedulingStrategy"] = "REPLICA",
        ["deploymentController"] = new JsonObject { ["type"] = "ECS" },
        ["enableECSManagedTags"] = false,
        ["propagateTags"] = "NONE",
        ["enableExecuteCommand"] = false,
    };
}

/// <summary>One container of a task, as DescribeTasks shows it.</summary>
internal sealed class EcsContainer(string name, string arn, string image)
{
    public string Name { get; } = name;

    public string Arn { get; } = arn;

    public string Image { get; } = image;

    public string LastStatus { get; set; } = "PENDING";

    public int? ExitCode { get; set; }

    public string? Reason { get; set; }

    public string HealthStatus { get; set; } = "UNKNOWN";
}

internal sealed class EcsTask(string id, string arn, EcsCluster cluster, TaskDefinitionRevision definition, DateTimeOffset createdAt)
{
    public string Id { get; } = id;

    public string Arn { get; } = arn;

    public EcsCluster Cluster { get; } = cluster;

    public TaskDefinitionRevision Definition { get; } = definition;

    /// <summary>The service's deployment that started it; null for a RunTask task.</summary>
    public EcsDeployment? Deployment { get; init; }

    public EcsService? Service { get; init; }

    public string? StartedBy { get; init; }

    public string Group { get; init; } = "";

    public JsonObject Overrides { get; init; } = new() { ["containerOverrides"] = new JsonArray(), ["inferenceAcceleratorOverrides"] = new JsonArray() };

    public List<EcsContainer> Containers { get; init; } = [];

    public string LastStatus { get; set; } = "PROVISIONING";

    public string DesiredStatus { get; set; } = "RUNNING";

    public string HealthStatus { get; set; } = "UNKNOWN";

    public string? StopCode { get; set; }

    public string? StoppedReason { get; set; }

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? StoppingAt { get; set; }

    public DateTimeOffset? StoppedAt { get; set; }

    public string? PrivateIp { get; set; }

    /// <summary>Registered in the load balancer's upstream (a healthy target).</summary>
    public bool Registered { get; set; }

    /// <summary>A service task that stopped by itself (exited, unhealthy, could not start): a failure the circuit breaker counts.</summary>
    public bool Failed { get; set; }

    public bool Stopped => LastStatus == "STOPPED";

    /// <summary>Running and, when its containers have health checks, healthy: what the scheduler counts as serving.</summary>
    public bool Healthy => LastStatus == "RUNNING" && DesiredStatus == "RUNNING" && HealthStatus != "UNHEALTHY" && (HealthStatus == "HEALTHY" || !Definition.Containers.Any(c => c?["healthCheck"] is not null));

    public JsonObject ToJson() => new()
    {
        ["taskArn"] = Arn,
        ["clusterArn"] = Cluster.Arn,
        ["taskDefinitionArn"] = Definition.Arn,
        ["lastStatus"] = LastStatus,
        ["desiredStatus"] = DesiredStatus,
        ["healthStatus"] = HealthStatus,
        ["launchType"] = "FARGATE",
        ["platformVersion"] = "1.4.0",
        ["cpu"] = Definition.Body["cpu"]?.DeepClone(),
        ["memory"] = Definition.Body["memory"]?.DeepClone(),
        ["group"] = Group,
        ["startedBy"] = StartedBy,
        ["createdAt"] = EcsDeployment.EpochSeconds(CreatedAt),
        ["startedAt"] = StartedAt is { } started ? EcsDeployment.EpochSeconds(started) : null,
        ["stoppingAt"] = StoppingAt is { } stopping ? EcsDeployment.EpochSeconds(stopping) : null,
        ["stoppedAt"] = StoppedAt is { } stopped ? EcsDeployment.EpochSeconds(stopped) : null,
        ["stopCode"] = StopCode,
        ["stoppedReason"] = StoppedReason,
        ["overrides"] = Overrides.DeepClone(),
        ["containers"] = new JsonArray([.. Containers.Select(c => (JsonNode)new JsonObject
        {
            ["containerArn"] = c.Arn,
            ["taskArn"] = Arn,
            ["name"] = c.Name,
            ["image"] = c.Image,
            ["lastStatus"] = c.LastStatus,
            ["exitCode"] = c.ExitCode,
            ["reason"] = c.Reason,
            ["healthStatus"] = c.HealthStatus,
            ["networkInterfaces"] = PrivateIp is null ? new JsonArray() : new JsonArray(new JsonObject { ["privateIpv4Address"] = PrivateIp }),
        })]),
    };
}
