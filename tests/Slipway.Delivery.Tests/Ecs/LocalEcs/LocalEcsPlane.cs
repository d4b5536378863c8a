using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.Testing;
using Slipway.Tools.Aws;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Tests.Ecs.LocalEcs;

/// <summary>
/// A local ECS control plane for the tests: ECS's JSON 1.1 API and CloudWatch Logs' GetLogEvents on 127.0.0.1, SigV4
/// checked, clusters, services, task definitions, deployments and tasks kept as ECS keeps them, each task a real
/// container on the test engine behind an nginx load balancer. See README.md beside it for what it emulates.
/// </summary>
internal sealed partial class LocalEcsPlane : IAsyncDisposable
{
    public const string EcsTargetPrefix = "AmazonEC2ContainerServiceV20141113.";
    public const string LogsTargetPrefix = "Logs_20140328.";
    private readonly object gate = new();
    private readonly LoopbackHttpServer server;
    private readonly SigV4Verifier verifier;
    private readonly DockerClient docker;
    private readonly CancellationTokenSource stopping = new();
    private readonly Dictionary<string, string> secrets = new(StringComparer.Ordinal);
    private readonly List<Task> agents = [];
    private readonly List<EcsCall> answered = [];
    private Task scheduler = Task.CompletedTask;
    private int throttleNext;

    private LocalEcsPlane(LocalEcsOptions options, DockerClient docker, string name, string network)
    {
        Options = options;
        this.docker = docker;
        Name = name;
        Network = network;
        Arns = new EcsArns(options.Region, options.Account);
        verifier = new SigV4Verifier(options.AccessKeyId, options.SecretAccessKey, options.SessionToken, options.Region, () => DateTimeOffset.UtcNow);
        server = new LoopbackHttpServer(Handle);
    }

    public LocalEcsOptions Options { get; }

    /// <summary>Unique per plane: the prefix of its containers and network, and the value of their <see cref="Label"/>.</summary>
    public string Name { get; }

    /// <summary>The Docker network standing for the VPC: every subnet maps to it.</summary>
    public string Network { get; }

    public const string Label = "org.slipway.local-ecs";

    /// <summary>Where ECS and CloudWatch Logs answer (one endpoint for both, told apart by X-Amz-Target).</summary>
    public Uri Endpoint => server.Url;

    public Uri LoadBalancerUrl => LoadBalancer.Url;

    public ImmutableCredentials Credentials => new(Options.AccessKeyId, Options.SecretAccessKey, Options.SessionToken);

    /// <summary>What a process under test needs to reach this plane, as the AWS SDKs read them.</summary>
    public IReadOnlyDictionary<string, string> EnvironmentVariables
    {
        get
        {
            var variables = new Dictionary<string, string>
            {
                ["AWS_ENDPOINT_URL_ECS"] = Endpoint.ToString().TrimEnd('/'),
                ["AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"] = Endpoint.ToString().TrimEnd('/'),
                ["AWS_REGION"] = Options.Region,
                ["AWS_ACCESS_KEY_ID"] = Options.AccessKeyId,
                ["AWS_SECRET_ACCESS_KEY"] = Options.SecretAccessKey,
            };
            if (Options.SessionToken is { } token)
                variables["AWS_SESSION_TOKEN"] = token;
            return variables;
        }
    }

    internal EcsArns Arns { get; }

    private NginxLoadBalancer LoadBalancer { get; set; } = null!;

    /// <summary>Creates the VPC network and the load balancer, then serves.</summary>
    public static async Task<LocalEcsPlane> StartAsync(LocalEcsOptions? options = null, CancellationToken ct = default)
    {
        options ??= new LocalEcsOptions();
        var docker = new DockerClient();
        var name = "ecs" + Guid.NewGuid().ToString("N")[..10];
        var network = name + "-vpc";
        await docker.Networks.CreateAsync(new NetworkCreateParameters(network) { Labels = new Dictionary<string, string> { [Label] = name } }, ct);
        var plane = new LocalEcsPlane(options, docker, name, network);
        try
        {
            plane.LoadBalancer = await NginxLoadBalancer.StartAsync(docker, name + "-alb", network, plane.Labels(), DeployTestStack.FreePort(), ct);
            plane.scheduler = Task.Run(plane.ScheduleAsync, CancellationToken.None);
            return plane;
        }
        catch
        {
            await plane.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stores a secret as Secrets Manager would; returns its ARN, for a container definition's `secrets[].valueFrom`.</summary>
    public string PutSecret(string name, string value)
    {
        var arn = $"arn:aws:secretsmanager:{Options.Region}:{Options.Account}:secret:{name}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(3))}";
        lock (gate)
            secrets[arn] = value;
        return arn;
    }

    /// <summary>The next <paramref name="requests"/> ECS requests are refused with ThrottlingException, as a busy account sees.</summary>
    public void ThrottleNext(int requests)
    {
        lock (gate)
            throttleNext = requests;
    }

    /// <summary>A signed ECS call, as a client sends it: the parsed answer or the error.</summary>
    public Task<AwsAnswer> CallAsync(string operation, JsonObject body, CancellationToken ct = default) =>
        SendSignedAsync(Endpoint, EcsTargetPrefix + operation, "ecs", body.ToJsonString(), Credentials, Options.Region, ct);

    /// <summary>A signed CloudWatch Logs call.</summary>
    public Task<AwsAnswer> LogsCallAsync(string operation, JsonObject body, CancellationToken ct = default) =>
        SendSignedAsync(Endpoint, LogsTargetPrefix + operation, "logs", body.ToJsonString(), Credentials, Options.Region, ct);

    /// <summary>Signs with <see cref="SigV4Signer"/> and posts as an AWS JSON 1.1 client does; <paramref name="tamper"/> may change the request after signing.</summary>
    public static async Task<AwsAnswer> SendSignedAsync(
        Uri endpoint, string target, string service, string json, ImmutableCredentials credentials, string region, CancellationToken ct,
        Action<HttpRequestMessage>? tamper = null, DateTimeOffset? signedAt = null)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var headers = new List<KeyValuePair<string, string>>
        {
            new("Content-Type", "application/x-amz-json-1.1"),
            new("X-Amz-Target", target),
        };
        var signature = SigV4Signer.Sign("POST", endpoint, headers, body, credentials, region, service, signedAt ?? DateTimeOffset.UtcNow);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-amz-json-1.1");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        foreach (var (name, value) in signature)
            request.Headers.TryAddWithoutValidation(name, value);
        tamper?.Invoke(request);
        using var client = new HttpClient();
        using var response = await client.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return new AwsAnswer((int)response.StatusCode, JsonNode.Parse(text.Length == 0 ? "{}" : text)!.AsObject());
    }

    private Reply Handle(ReceivedRequest request)
    {
        try
        {
            if (Fault is { } fault)
                return ErrorReply(new AwsError(500, "InternalFailure", $"the local ECS plane broke: {fault.GetType().Name}: {fault.Message}"));
            var target = request.Header("X-Amz-Target") ?? "";
            var (service, operation) = target.StartsWith(EcsTargetPrefix, StringComparison.Ordinal) ? ("ecs", target[EcsTargetPrefix.Length..])
                : target.StartsWith(LogsTargetPrefix, StringComparison.Ordinal) ? ("logs", target[LogsTargetPrefix.Length..])
                : throw new AwsErrorException(400, "UnknownOperationException", $"Unknown operation '{target}'.");
            if (request.Method != "POST")
                throw new AwsErrorException(400, "UnknownOperationException", "AWS JSON 1.1 requests are POSTed.");
            if (verifier.Refusal(request, service) is { } refusal)
                return ErrorReply(refusal);
            JsonObject body;
            try
            {
                body = JsonNode.Parse(request.Body.Length == 0 ? "{}"u8 : request.Body)?.AsObject() ?? [];
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                throw new AwsErrorException(400, "SerializationException", "Start of structure or map found where not expected.");
            }

            var answer = service == "logs" ? HandleLogs(operation, body) : HandleEcs(operation, body);
            return new Reply(200, "application/x-amz-json-1.1", WithoutNulls(answer).ToJsonString(), RequestId());
        }
        catch (AwsErrorException e)
        {
            return ErrorReply(e.Error);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // A member of the wrong JSON type (a string where the model has an integer, ...), as AWS's deserializer refuses it.
            return ErrorReply(new AwsError(400, "SerializationException", e.Message));
        }
        catch (Exception e)
        {
            // The server's loop must keep answering: a client waiting on a dead plane would only time out, saying nothing.
            return ErrorReply(new AwsError(500, "InternalFailure", $"the local ECS plane failed on this request: {e.GetType().Name}: {e.Message}"));
        }
    }

    /// <summary>What broke the scheduler or a task's agent, if anything: every later request answers InternalFailure naming it.</summary>
    private Exception? Fault { get; set; }

    private void Broke(Exception e)
    {
        lock (gate)
            Fault ??= e;
    }

    private JsonObject HandleEcs(string operation, JsonObject body)
    {
        lock (gate)
        {
            if (throttleNext > 0)
            {
                throttleNext--;
                throw new AwsErrorException(400, "ThrottlingException", "Rate exceeded");
            }

            var answer = operation switch
            {
                "CreateCluster" => CreateCluster(body),
                "CreateService" => CreateService(body),
                "DescribeServices" => DescribeServices(body),
                "UpdateService" => UpdateService(body),
                "RegisterTaskDefinition" => RegisterTaskDefinition(body),
                "DescribeTaskDefinition" => DescribeTaskDefinition(body),
                "RunTask" => RunTask(body),
                "DescribeTasks" => DescribeTasks(body),
                "ListTasks" => ListTasks(body),
                "StopTask" => StopTask(body),
                _ => throw new AwsErrorException(400, "UnknownOperationException", $"The local ECS plane does not implement {operation}."),
            };
            answered.Add(new EcsCall(operation, (JsonObject)body.DeepClone()));
            return answer;
        }
    }

    /// <summary>Every ECS request the plane carried out, in order (refused ones are not): what a client did to the account.</summary>
    public IReadOnlyList<EcsCall> Calls
    {
        get
        {
            lock (gate)
                return [.. answered];
        }
    }

    private static Reply ErrorReply(AwsError error) =>
        new(error.Status, "application/x-amz-json-1.1", new JsonObject { ["__type"] = error.Code, ["message"] = error.Message }.ToJsonString(), RequestId());

    private static Dictionary<string, string> RequestId() => new() { ["x-amzn-RequestId"] = Guid.NewGuid().ToString() };

    // AWS leaves absent members out of its answers rather than sending null.
    private static JsonNode WithoutNulls(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (value is null)
                        obj.Remove(key);
                    else
                        WithoutNulls(value);
                }

                break;
            case JsonArray array:
                foreach (var item in array.OfType<JsonNode>())
                    WithoutNulls(item);
                break;
        }

        return node;
    }

    private Dictionary<string, string> Labels() => new() { [Label] = Name };

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        server.Dispose();
        Task[] running;
        lock (gate)
            running = [scheduler, .. agents];
        try
        {
            await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException || IsDockerError(e))
        {
        }

        foreach (var container in await docker.Containers.ListAsync([$"{Label}={Name}"]))
            await IgnoreDockerErrors(() => docker.Containers.RemoveAsync(container.Id, force: true));
        await IgnoreDockerErrors(() => docker.Networks.RemoveAsync(Network));
        docker.Dispose();
        stopping.Dispose();
    }

    private static async Task IgnoreDockerErrors(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception e) when (IsDockerError(e))
        {
        }
    }

    private static bool IsDockerError(Exception e) =>
        e is DockerApiException or DockerTimeoutException or DockerStreamException or DockerEngineUnreachableException;
}

/// <summary>An AWS JSON answer: the HTTP status and the body (the result, or __type and message).</summary>
internal sealed record AwsAnswer(int Status, JsonObject Body)
{
    public string? ErrorCode => Body["__type"]?.GetValue<string>();

    /// <summary>The body of a 200 answer; otherwise throws naming the error.</summary>
    public JsonObject Ok() => Status == 200 ? Body : throw new InvalidOperationException($"AWS answered {Status} {ErrorCode}: {Body["message"]}");
}

/// <summary>One ECS request the plane carried out: its operation and body.</summary>
internal sealed record EcsCall(string Operation, JsonObject Request)
{
    /// <summary>The operations that change an account (the rest only read it).</summary>
    public bool Changes => Operation is not ("DescribeServices" or "DescribeTaskDefinition" or "DescribeTasks" or "ListTasks");
}
