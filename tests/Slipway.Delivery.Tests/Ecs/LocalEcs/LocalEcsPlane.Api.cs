using System.Text.Json.Nodes;

namespace Slipway.Delivery.Tests.Ecs.LocalEcs;

/// <summary>The ECS operations: request and answer shapes as the service model ecs-2014-11-13 has them. Called under the plane's lock.</summary>
internal sealed partial class LocalEcsPlane
{
    private readonly Dictionary<string, EcsCluster> clusters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TaskDefinitionRevision>> families = new(StringComparer.Ordinal);
    private readonly List<EcsTask> tasks = [];
    private long deploymentSequence = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

    private JsonObject CreateCluster(JsonObject body)
    {
        var name = Text(body, "clusterName") ?? "default";
        if (!clusters.TryGetValue(name, out var cluster))
            clusters[name] = cluster = new EcsCluster(name, Arns.Cluster(name));
        return new JsonObject { ["cluster"] = ClusterJson(cluster) };
    }

    private JsonObject CreateService(JsonObject body)
    {
        var cluster = Cluster(body);
        var name = Required(body, "serviceName");
        if (cluster.Services.ContainsKey(name))
            throw AwsErrorException.InvalidParameter("Creation of service was not idempotent.");
        var definition = TaskDefinition(Required(body, "taskDefinition"));
        var desired = body["desiredCount"]?.GetValue<int>() ?? 0;
        var network = AwsVpc(definition, body["networkConfiguration"]);
        var loadBalancers = body["loadBalancers"]?.AsArray() ?? [];
        foreach (var lb in loadBalancers)
        {
            var container = lb?["containerName"]?.GetValue<string>();
            if (container is null || !definition.Containers.Any(c => c?["name"]?.GetValue<string>() == container))
                throw AwsErrorException.InvalidParameter($"The container {container} does not exist in the task definition.");
        }

        var service = new EcsService(name, Arns.Service(cluster.Name, name), cluster)
        {
            TaskDefinitionArn = definition.Arn,
            DesiredCount = desired,
            Settings = DeploymentSettings.Default.With(body["deploymentConfiguration"]),
            LoadBalancers = (JsonArray)loadBalancers.DeepClone(),
            NetworkConfiguration = network?.DeepClone(),
            CreatedAt = DateTimeOffset.UtcNow,
        };
        service.Deployments.Add(NewDeployment(definition.Arn, desired));
        cluster.Services[name] = service;
        return new JsonObject { ["service"] = service.ToJson() };
    }

    private JsonObject DescribeServices(JsonObject body)
    {
        var cluster = Cluster(body);
        var found = new JsonArray();
        var failures = new JsonArray();
        foreach (var requested in Strings(body, "services"))
        {
            if (FindService(cluster, requested) is { } service)
                found.Add(service.ToJson());
            else
                failures.Add(new JsonObject { ["arn"] = requested.StartsWith("arn:", StringComparison.Ordinal) ? requested : Arns.Service(cluster.Name, requested), ["reason"] = "MISSING" });
        }

        return new JsonObject { ["services"] = found, ["failures"] = failures };
    }

    private JsonObject UpdateService(JsonObject body)
    {
        var cluster = Cluster(body);
        var service = FindService(cluster, Required(body, "service")) ?? throw new AwsErrorException(400, "ServiceNotFoundException", "Service not found.");
        var definition = Text(body, "taskDefinition") is { } requested ? TaskDefinition(requested) : null;
        if (body["networkConfiguration"] is { } network)
            service.NetworkConfiguration = AwsVpc(definition ?? TaskDefinition(service.TaskDefinitionArn), network)?.DeepClone();
        service.Settings = service.Settings.With(body["deploymentConfiguration"]);
        if (body["desiredCount"] is { } desired)
        {
            service.DesiredCount = desired.GetValue<int>();
            service.Primary.DesiredCount = service.DesiredCount;
        }

        var force = body["forceNewDeployment"]?.GetValue<bool>() ?? false;
        if (force || (definition is not null && definition.Arn != service.TaskDefinitionArn))
        {
            service.TaskDefinitionArn = (definition ?? TaskDefinition(service.TaskDefinitionArn)).Arn;
            StartDeployment(service, service.TaskDefinitionArn);
        }

        return new JsonObject { ["service"] = service.ToJson() };
    }

    /// <summary>RegisterTaskDefinitionRequest's members in the service model: what DescribeTaskDefinition adds (taskDefinitionArn, revision, ...) is not among them.</summary>
    private static readonly string[] RegisterTaskDefinitionMembers =
    [
        "family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes", "placementConstraints",
        "requiresCompatibilities", "cpu", "memory", "tags", "pidMode", "ipcMode", "proxyConfiguration", "inferenceAccelerators",
        "ephemeralStorage", "runtimePlatform", "enableFaultInjection",
    ];

    private JsonObject RegisterTaskDefinition(JsonObject body)
    {
        // The AWS SDKs refuse these before sending; a raw client must leave them out itself.
        if (body.Select(p => p.Key).FirstOrDefault(k => !RegisterTaskDefinitionMembers.Contains(k)) is { } unknown)
            throw AwsErrorException.Client($"Unknown parameter in input: \"{unknown}\", must be one of: {string.Join(", ", RegisterTaskDefinitionMembers)}");
        var family = Required(body, "family");
        var containers = body["containerDefinitions"]?.AsArray();
        if (containers is null || containers.Count == 0)
            throw AwsErrorException.Client("Container list cannot be empty.");
        // Not an AWS limit: a sidecar would be silently left out, so the plane says plainly what it cannot run.
        if (containers.Count > 1)
            throw AwsErrorException.Client("The local ECS plane runs one container per task; this task definition has " + containers.Count + ".");
        foreach (var container in containers)
        {
            if (string.IsNullOrEmpty(container?["name"]?.GetValue<string>()))
                throw AwsErrorException.Client("Container.name should not be null or empty.");
            if (string.IsNullOrEmpty(container["image"]?.GetValue<string>()))
                throw AwsErrorException.Client("Container.image should not be null or empty.");
            if (container["healthCheck"] is { } check)
                ValidateHealthCheck(check);
        }

        if (!families.TryGetValue(family, out var revisions))
            families[family] = revisions = [];
        var revision = revisions.Count + 1;
        var arn = Arns.TaskDefinition(family, revision);
        var stored = (JsonObject)body.DeepClone();
        stored.Remove("tags");
        stored["taskDefinitionArn"] = arn;
        stored["revision"] = revision;
        stored["status"] = "ACTIVE";
        stored["compatibilities"] = new JsonArray("EC2", "FARGATE");
        stored["registeredAt"] = EcsDeployment.EpochSeconds(DateTimeOffset.UtcNow);
        stored["networkMode"] ??= "awsvpc";
        var definition = new TaskDefinitionRevision(family, revision, arn, stored);
        revisions.Add(definition);
        return new JsonObject { ["taskDefinition"] = stored.DeepClone(), ["tags"] = body["tags"]?.DeepClone() ?? new JsonArray() };
    }

    private JsonObject DescribeTaskDefinition(JsonObject body) =>
        new() { ["taskDefinition"] = TaskDefinition(Required(body, "taskDefinition")).Body.DeepClone(), ["tags"] = new JsonArray() };

    private JsonObject RunTask(JsonObject body)
    {
        var cluster = Cluster(body);
        var definition = TaskDefinition(Required(body, "taskDefinition"));
        AwsVpc(definition, body["networkConfiguration"]);
        var count = body["count"]?.GetValue<int>() ?? 1;
        if (count is < 1 or > 10)
            throw AwsErrorException.InvalidParameter("Count must be between 1 and 10.");
        var overrides = body["overrides"]?.AsObject();
        foreach (var containerOverride in overrides?["containerOverrides"]?.AsArray() ?? [])
        {
            var name = containerOverride?["name"]?.GetValue<string>();
            if (!definition.Containers.Any(c => c?["name"]?.GetValue<string>() == name))
                throw AwsErrorException.InvalidParameter($"Override for container named {name} is not a container in the TaskDefinition.");
        }

        var started = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            var task = NewTask(cluster, definition, null, null, Text(body, "startedBy"), Text(body, "group") ?? $"family:{definition.Family}", overrides);
            started.Add(task.ToJson());
        }

        return new JsonObject { ["tasks"] = started, ["failures"] = new JsonArray() };
    }

    private JsonObject DescribeTasks(JsonObject body)
    {
        var cluster = Cluster(body);
        var found = new JsonArray();
        var failures = new JsonArray();
        foreach (var requested in Strings(body, "tasks"))
        {
            if (FindTask(cluster, requested) is { } task)
                found.Add(task.ToJson());
            else
                failures.Add(new JsonObject { ["arn"] = requested.StartsWith("arn:", StringComparison.Ordinal) ? requested : Arns.Task(cluster.Name, requested), ["reason"] = "MISSING" });
        }

        return new JsonObject { ["tasks"] = found, ["failures"] = failures };
    }

    private JsonObject ListTasks(JsonObject body)
    {
        var cluster = Cluster(body);
        var serviceName = Text(body, "serviceName");
        var service = serviceName is null ? null : FindService(cluster, serviceName) ?? throw new AwsErrorException(400, "ServiceNotFoundException", "Service not found.");
        var family = Text(body, "family");
        var startedBy = Text(body, "startedBy");
        var desired = Text(body, "desiredStatus") ?? "RUNNING";
        var arns = tasks
            .Where(t => t.Cluster == cluster && t.DesiredStatus == desired)
            .Where(t => service is null || t.Service == service)
            .Where(t => family is null || t.Definition.Family == family)
            .Where(t => startedBy is null || t.StartedBy == startedBy)
            .Select(t => (JsonNode)t.Arn);
        return new JsonObject { ["taskArns"] = new JsonArray([.. arns]) };
    }

    private JsonObject StopTask(JsonObject body)
    {
        var cluster = Cluster(body);
        var task = FindTask(cluster, Required(body, "task")) ?? throw AwsErrorException.InvalidParameter("The referenced task was not found.");
        if (task.DesiredStatus != "STOPPED")
            RequestStop(task, "UserInitiated", Text(body, "reason") ?? "Task stopped by user");
        return new JsonObject { ["task"] = task.ToJson() };
    }

    private JsonObject ClusterJson(EcsCluster cluster)
    {
        var live = tasks.Where(t => t.Cluster == cluster && !t.Stopped).ToList();
        return cluster.ToJson(cluster.Services.Count, live.Count(t => t.LastStatus == "RUNNING"), live.Count(t => t.LastStatus != "RUNNING"));
    }

    private EcsDeployment NewDeployment(string taskDefinitionArn, int desired) =>
        new($"ecs-svc/{++deploymentSequence:D19}", taskDefinitionArn, desired, DateTimeOffset.UtcNow);

    /// <summary>A new PRIMARY deployment; the one before becomes ACTIVE and is scaled in as the new one becomes healthy.</summary>
    private EcsDeployment StartDeployment(EcsService service, string taskDefinitionArn)
    {
        foreach (var old in service.Deployments)
        {
            old.Status = "ACTIVE";
            old.UpdatedAt = DateTimeOffset.UtcNow;
        }

        var deployment = NewDeployment(taskDefinitionArn, service.DesiredCount);
        service.Deployments.Insert(0, deployment);
        return deployment;
    }

    private EcsTask NewTask(EcsCluster cluster, TaskDefinitionRevision definition, EcsService? service, EcsDeployment? deployment, string? startedBy, string group, JsonObject? overrides)
    {
        var id = Guid.NewGuid().ToString("N");
        var task = new EcsTask(id, Arns.Task(cluster.Name, id), cluster, definition, DateTimeOffset.UtcNow)
        {
            Service = service,
            Deployment = deployment,
            StartedBy = startedBy,
            Group = group,
            Overrides = (JsonObject?)overrides?.DeepClone() ?? new JsonObject { ["containerOverrides"] = new JsonArray(), ["inferenceAcceleratorOverrides"] = new JsonArray() },
            Containers = [.. definition.Containers.Select(c => new EcsContainer(c!["name"]!.GetValue<string>(), Arns.Container(cluster.Name, id, c["name"]!.GetValue<string>()), c["image"]!.GetValue<string>()))],
        };
        tasks.Add(task);
        agents.Add(Task.Run(() => RunAgentAsync(task), CancellationToken.None));
        return task;
    }

    private EcsCluster Cluster(JsonObject body)
    {
        var requested = Text(body, "cluster") ?? "default";
        var name = requested.StartsWith("arn:", StringComparison.Ordinal) ? requested[(requested.LastIndexOf('/') + 1)..] : requested;
        return clusters.GetValueOrDefault(name) ?? throw new AwsErrorException(400, "ClusterNotFoundException", "Cluster not found.");
    }

    private static EcsService? FindService(EcsCluster cluster, string nameOrArn)
    {
        var name = nameOrArn.StartsWith("arn:", StringComparison.Ordinal) ? nameOrArn[(nameOrArn.LastIndexOf('/') + 1)..] : nameOrArn;
        return cluster.Services.GetValueOrDefault(name);
    }

    private EcsTask? FindTask(EcsCluster cluster, string idOrArn)
    {
        var id = idOrArn[(idOrArn.LastIndexOf('/') + 1)..];
        return tasks.FirstOrDefault(t => t.Cluster == cluster && t.Id == id);
    }

    /// <summary>"family", "family:revision" or the ARN; the family alone is its latest ACTIVE revision.</summary>
    private TaskDefinitionRevision TaskDefinition(string reference)
    {
        var familyAndRevision = reference.StartsWith("arn:", StringComparison.Ordinal) ? reference[(reference.IndexOf('/', StringComparison.Ordinal) + 1)..] : reference;
        var parts = familyAndRevision.Split(':');
        if (families.TryGetValue(parts[0], out var revisions) && revisions.Count > 0)
        {
            if (parts.Length == 1)
                return revisions[^1];
            if (int.TryParse(parts[1], out var revision) && revision >= 1 && revision <= revisions.Count)
                return revisions[revision - 1];
        }

        throw AwsErrorException.Client("Unable to describe task definition.");
    }

    /// <summary>An awsvpc task needs a network configuration naming subnets of the VPC (all of which map to the plane's network).</summary>
    private JsonNode? AwsVpc(TaskDefinitionRevision definition, JsonNode? networkConfiguration)
    {
        if (definition.Body["networkMode"]?.GetValue<string>() != "awsvpc")
            return networkConfiguration;
        var vpc = networkConfiguration?["awsvpcConfiguration"] ?? throw AwsErrorException.InvalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
        var subnets = vpc["subnets"]?.AsArray().Select(s => s!.GetValue<string>()).ToList() ?? [];
        if (subnets.Count == 0)
            throw AwsErrorException.InvalidParameter("subnets can not be empty.");
        if (subnets.FirstOrDefault(s => !Options.Subnets.Contains(s)) is { } unknown)
            throw AwsErrorException.InvalidParameter($"Error retrieving subnet information for [{unknown}]: The subnet ID '{unknown}' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: InvalidSubnetID.NotFound)");
        foreach (var group in vpc["securityGroups"]?.AsArray().Select(s => s!.GetValue<string>()) ?? [])
        {
            if (!Options.SecurityGroups.Contains(group))
                throw AwsErrorException.InvalidParameter($"Error retrieving security group information for [{group}]: The security group '{group}' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: InvalidGroup.NotFound)");
        }

        return networkConfiguration;
    }

    // The bounds ECS puts on a container health check (seconds; retries a count).
    private static void ValidateHealthCheck(JsonNode check)
    {
        if (check["command"]?.AsArray() is not { Count: > 0 })
            throw AwsErrorException.Client("HealthCheck command cannot be empty.");
        Bound(check, "interval", 5, 300);
        Bound(check, "timeout", 2, 60);
        Bound(check, "retries", 1, 10);
        Bound(check, "startPeriod", 0, 300);

        static void Bound(JsonNode check, string field, int min, int max)
        {
            if (check[field]?.GetValue<int>() is { } value && (value < min || value > max))
                throw AwsErrorException.Client($"HealthCheck {field} must be between {min} and {max}.");
        }
    }

    private static string? Text(JsonObject body, string field) => body[field]?.GetValue<string>();

    private static string Required(JsonObject body, string field) =>
        Text(body, field) is { Length: > 0 } value ? value : throw AwsErrorException.InvalidParameter($"{field} can not be blank.");

    private static IEnumerable<string> Strings(JsonObject body, string field) =>
        body[field]?.AsArray().Select(s => s!.GetValue<string>()) ?? throw AwsErrorException.InvalidParameter($"{field} can not be empty.");
}
