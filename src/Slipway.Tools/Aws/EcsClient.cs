using System.Text.Json;
using Amazon.Runtime;

namespace Slipway.Tools.Aws;

/// <summary>ECS said no, or could not be asked; the message is one line naming what and what to do.</summary>
public sealed class EcsException(string message, string? code = null, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>AWS's error code (e.g. ServiceNotFoundException), or MISSING for a service DescribeServices lists as a failure.</summary>
    public string? Code { get; } = code;
}

/// <summary>Where an ECS setting comes from, for messages: the environment file, and the terraform outputs that fill it.</summary>
/// <param name="File">The file that names the cluster and the service, e.g. .nuke/environments/staging.json.</param>
public sealed record EcsSettingsSource(string File);

/// <summary>
/// The ECS operations a deploy uses, over ECS's JSON 1.1 protocol (X-Amz-Target: AmazonEC2ContainerServiceV20141113.Operation),
/// signed with SigV4 for "ecs". AWS's errors become one line each (<see cref="EcsException"/>); throttling is retried with
/// backoff and jitter and every call has a timeout (<see cref="AwsCallPolicy"/>).
/// </summary>
public sealed class EcsClient
{
    public const string TargetPrefix = "AmazonEC2ContainerServiceV20141113";

    /// <summary>Fields DescribeTaskDefinition returns that RegisterTaskDefinition does not take.</summary>
    public static readonly IReadOnlySet<string> ReadOnlyTaskDefinitionFields = new HashSet<string>(StringComparer.Ordinal)
    {
        "taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities", "registeredAt", "registeredBy", "deregisteredAt",
    };

    private readonly AwsJsonClient aws;
    private readonly string region;
    private readonly EcsSettingsSource source;

    public EcsClient(HttpClient http, ImmutableCredentials credentials, string region, EcsSettingsSource source, Uri? endpoint = null, AwsCallPolicy? policy = null)
    {
        (this.region, this.source) = (region, source);
        aws = new AwsJsonClient(http, credentials, region, "ecs", TargetPrefix, endpoint ?? AwsJsonClient.EndpointFor("ECS", "ecs", region), policy);
    }

    public Uri Endpoint => aws.Endpoint;

    /// <summary>The service; a missing one (listed by ECS as a MISSING failure) is an <see cref="EcsException"/> saying where to fix its name.</summary>
    public async Task<EcsService> DescribeServiceAsync(string cluster, string service, CancellationToken ct)
    {
        var response = await CallAsync<DescribeServicesRequest, DescribeServicesResponse>("DescribeServices", new(cluster, [service]), cluster, service, ct).ConfigureAwait(false);
        var found = response.Services?.FirstOrDefault(s => s.Status != "INACTIVE");
        return found ?? throw ServiceNotFound(cluster, service, response.Failures?.FirstOrDefault()?.Reason ?? (response.Services?.Count > 0 ? "INACTIVE" : "MISSING"));
    }

    public async Task<DescribeTaskDefinitionResponse> DescribeTaskDefinitionAsync(string taskDefinition, CancellationToken ct) =>
        await CallAsync<DescribeTaskDefinitionRequest, DescribeTaskDefinitionResponse>("DescribeTaskDefinition", new(taskDefinition, ["TAGS"]), null, null, ct).ConfigureAwait(false);

    /// <summary>Registers <paramref name="definition"/> as a new revision of its family: every field but the read-only ones, plus <paramref name="tags"/>.</summary>
    public async Task<EcsTaskDefinition> RegisterTaskDefinitionAsync(EcsTaskDefinition definition, IReadOnlyList<EcsTag>? tags, CancellationToken ct)
    {
        var request = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in definition.Other ?? [])
        {
            if (!ReadOnlyTaskDefinitionFields.Contains(name))
                request[name] = value;
        }

        request["family"] = definition.Family;
        request["containerDefinitions"] = definition.ContainerDefinitions;
        if (tags is { Count: > 0 })
            request["tags"] = tags;
        var response = await CallAsync<Dictionary<string, object?>, RegisterTaskDefinitionResponse>("RegisterTaskDefinition", request, null, null, ct).ConfigureAwait(false);
        return response.TaskDefinition;
    }

    public async Task<EcsService> UpdateServiceAsync(UpdateServiceRequest request, CancellationToken ct) =>
        (await CallAsync<UpdateServiceRequest, UpdateServiceResponse>("UpdateService", request, request.Cluster, request.Service, ct).ConfigureAwait(false)).Service;

    public async Task<EcsTask> RunTaskAsync(RunTaskRequest request, CancellationToken ct)
    {
        var response = await CallAsync<RunTaskRequest, RunTaskResponse>("RunTask", request, request.Cluster, null, ct).ConfigureAwait(false);
        return response.Tasks?.FirstOrDefault() ?? throw new EcsException(
            $"ECS RunTask of {request.TaskDefinition} in cluster {request.Cluster} started no task: {string.Join("; ", (response.Failures ?? []).Select(f => $"{f.Reason} {f.Detail}".Trim()))}",
            "RunTaskFailure");
    }

    public async Task<IReadOnlyList<EcsTask>> DescribeTasksAsync(string cluster, IReadOnlyList<string> tasks, CancellationToken ct) =>
        tasks.Count == 0 ? [] : (await CallAsync<DescribeTasksRequest, DescribeTasksResponse>("DescribeTasks", new(cluster, tasks), cluster, null, ct).ConfigureAwait(false)).Tasks ?? [];

    public async Task<IReadOnlyList<string>> ListTasksAsync(ListTasksRequest request, CancellationToken ct) =>
        (await CallAsync<ListTasksRequest, ListTasksResponse>("ListTasks", request, request.Cluster, request.ServiceName, ct).ConfigureAwait(false)).TaskArns ?? [];

    public async Task StopTaskAsync(string cluster, string task, string reason, CancellationToken ct) =>
        await CallAsync<StopTaskRequest, StopTaskResponse>("StopTask", new(cluster, task, reason), cluster, null, ct).ConfigureAwait(false);

    private async Task<TResponse> CallAsync<TRequest, TResponse>(string operation, TRequest request, string? cluster, string? service, CancellationToken ct)
    {
        try
        {
            return await aws.CallAsync<TRequest, TResponse>(operation, request, ct).ConfigureAwait(false);
        }
        catch (AwsServiceException e)
        {
            throw new EcsException(OneLine(e, cluster, service), e.Code, e);
        }
        catch (JsonException e)
        {
            throw new EcsException($"ECS {operation} at {aws.Endpoint} answered with JSON that is not ECS's {typeof(TResponse).Name}: {e.Message}", null, e);
        }
    }

    private EcsException ServiceNotFound(string cluster, string service, string reason) => new(
        $"ECS service '{service}' is not in cluster '{cluster}' ({region}, {reason}): set ecs.service in {source.File} to the service terraform made (terraform output ecs_service_name)",
        "ServiceNotFoundException");

    private string OneLine(AwsServiceException e, string? cluster, string? service) => e.Code switch
    {
        "AccessDeniedException" =>
            $"AWS denied ecs:{e.Operation}{(cluster is null ? "" : $" on cluster {cluster}")}: the deploy role needs the IAM permission ecs:{e.Operation} (build/terraform/iam.tf); AWS said: {e.AwsMessage}",
        "ServiceNotFoundException" or "ServiceNotActiveException" => ServiceNotFound(cluster ?? "?", service ?? "?", e.Code).Message,
        "ClusterNotFoundException" =>
            $"ECS cluster '{cluster}' not found in {region}: set ecs.cluster in {source.File} to the cluster terraform made (terraform output ecs_cluster_name)",
        "UnrecognizedClientException" or "InvalidSignatureException" or "ExpiredTokenException" =>
            $"AWS rejected the credentials for ecs:{e.Operation} ({e.Code}: {e.AwsMessage}): check AWS_ACCESS_KEY_ID/AWS_PROFILE or the OIDC role, and the clock",
        "ThrottlingException" => $"ECS kept throttling {e.Operation} after {aws.Policy.Retries} retries with backoff: try again later ({e.AwsMessage})",
        null => $"ECS {e.Message}",
        _ => $"ECS {e.Operation} failed ({e.Code}): {e.AwsMessage}",
    };
}
