using System.Text.Json;
using System.Text.Json.Serialization;

namespace Slipway.Tools.Aws;

// The shapes of the ECS API reference (service model ecs-2014-11-13) the deploy uses, named as AWS names them.
// A task definition keeps every field this code does not read in its extension data, so a copy registers as it was.

public sealed record EcsService
{
    public string? ServiceArn { get; init; }
    public string? ServiceName { get; init; }
    public string? ClusterArn { get; init; }
    public string? Status { get; init; }
    public int DesiredCount { get; init; }
    public int RunningCount { get; init; }
    public string? TaskDefinition { get; init; }
    public string? LaunchType { get; init; }
    public EcsDeploymentConfiguration? DeploymentConfiguration { get; init; }
    public IReadOnlyList<EcsDeployment> Deployments { get; init; } = [];
    public IReadOnlyList<EcsServiceEvent> Events { get; init; } = [];
    public EcsNetworkConfiguration? NetworkConfiguration { get; init; }

    public EcsDeployment? Primary => Deployments.FirstOrDefault(d => d.Status == "PRIMARY");
}

public sealed record EcsDeployment
{
    public string Id { get; init; } = "";
    public string Status { get; init; } = "";
    public string TaskDefinition { get; init; } = "";
    public int DesiredCount { get; init; }
    public int RunningCount { get; init; }
    public int PendingCount { get; init; }
    public int FailedTasks { get; init; }
    public string? RolloutState { get; init; }
    public string? RolloutStateReason { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
}

public sealed record EcsServiceEvent(string Id, DateTimeOffset CreatedAt, string Message);

public sealed record EcsDeploymentConfiguration
{
    public EcsCircuitBreaker? DeploymentCircuitBreaker { get; init; }
    public int? MaximumPercent { get; init; }
    public int? MinimumHealthyPercent { get; init; }
}

public sealed record EcsCircuitBreaker(bool Enable, bool Rollback);

public sealed record EcsNetworkConfiguration(EcsAwsVpcConfiguration? AwsvpcConfiguration);

public sealed record EcsAwsVpcConfiguration(IReadOnlyList<string> Subnets, IReadOnlyList<string>? SecurityGroups, string? AssignPublicIp);

public sealed record EcsTaskDefinition
{
    public string? TaskDefinitionArn { get; init; }
    public string Family { get; init; } = "";
    public int Revision { get; init; }
    public string? Status { get; init; }
    public IReadOnlyList<EcsContainerDefinition> ContainerDefinitions { get; init; } = [];

    /// <summary>Every other field, as DescribeTaskDefinition returned it.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Other { get; init; }
}

public sealed record EcsContainerDefinition
{
    public string Name { get; init; } = "";
    public string? Image { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public IReadOnlyDictionary<string, string>? DockerLabels { get; init; }
    public IReadOnlyList<EcsKeyValuePair>? Environment { get; init; }
    public IReadOnlyList<EcsSecret>? Secrets { get; init; }
    public EcsLogConfiguration? LogConfiguration { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Other { get; init; }
}

public sealed record EcsKeyValuePair(string Name, string Value);

/// <summary>A secret as a task definition names it: the Secrets Manager or SSM ARN, never the value.</summary>
public sealed record EcsSecret(string Name, string ValueFrom);

public sealed record EcsLogConfiguration(string LogDriver, IReadOnlyDictionary<string, string>? Options);

public sealed record EcsTask
{
    public string TaskArn { get; init; } = "";
    public string? TaskDefinitionArn { get; init; }
    public string? LastStatus { get; init; }
    public string? DesiredStatus { get; init; }
    public string? HealthStatus { get; init; }
    public string? StopCode { get; init; }
    public string? StoppedReason { get; init; }
    public string? Group { get; init; }
    public DateTimeOffset? StoppedAt { get; init; }
    public IReadOnlyList<EcsContainer> Containers { get; init; } = [];

    /// <summary>The id at the end of the task's ARN, as the awslogs stream name uses it.</summary>
    public string Id => TaskArn[(TaskArn.LastIndexOf('/') + 1)..];
}

public sealed record EcsContainer
{
    public string Name { get; init; } = "";
    public string? LastStatus { get; init; }
    public int? ExitCode { get; init; }
    public string? Reason { get; init; }
    public string? HealthStatus { get; init; }
}

public sealed record EcsFailure(string? Arn, string? Reason, string? Detail);

public sealed record EcsContainerOverride(string Name, IReadOnlyList<string>? Command);

public sealed record EcsTaskOverride(IReadOnlyList<EcsContainerOverride> ContainerOverrides);

// Requests and responses, one pair per operation.

public sealed record DescribeServicesRequest(string Cluster, IReadOnlyList<string> Services);

public sealed record DescribeServicesResponse(IReadOnlyList<EcsService>? Services, IReadOnlyList<EcsFailure>? Failures);

public sealed record DescribeTaskDefinitionRequest(string TaskDefinition, IReadOnlyList<string>? Include = null);

public sealed record EcsTag(string Key, string Value);

public sealed record DescribeTaskDefinitionResponse(EcsTaskDefinition TaskDefinition, IReadOnlyList<EcsTag>? Tags);

public sealed record RegisterTaskDefinitionResponse(EcsTaskDefinition TaskDefinition);

public sealed record UpdateServiceRequest(string Cluster, string Service, string TaskDefinition, EcsDeploymentConfiguration DeploymentConfiguration)
{
    public bool? ForceNewDeployment { get; init; }
}

public sealed record UpdateServiceResponse(EcsService Service);

public sealed record RunTaskRequest(string Cluster, string TaskDefinition, int Count, string? LaunchType, EcsNetworkConfiguration? NetworkConfiguration, EcsTaskOverride Overrides, string StartedBy)
{
    public string? Group { get; init; }
}

public sealed record RunTaskResponse(IReadOnlyList<EcsTask>? Tasks, IReadOnlyList<EcsFailure>? Failures);

public sealed record DescribeTasksRequest(string Cluster, IReadOnlyList<string> Tasks);

public sealed record DescribeTasksResponse(IReadOnlyList<EcsTask>? Tasks, IReadOnlyList<EcsFailure>? Failures);

public sealed record ListTasksRequest(string Cluster)
{
    public string? ServiceName { get; init; }
    public string? DesiredStatus { get; init; }
    public string? StartedBy { get; init; }
}

public sealed record ListTasksResponse(IReadOnlyList<string>? TaskArns, string? NextToken);

public sealed record StopTaskRequest(string Cluster, string Task, string? Reason);

public sealed record StopTaskResponse(EcsTask? Task);
