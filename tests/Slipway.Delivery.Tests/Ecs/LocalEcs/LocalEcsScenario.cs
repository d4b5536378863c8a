using System.Text.Json.Nodes;

namespace Slipway.Delivery.Tests.Ecs.LocalEcs;

/// <summary>
/// A plane seeded as terraform leaves an account: a cluster, an app task definition (awslogs, health check, a secret),
/// and a service behind the load balancer with the circuit breaker and rollback on. For the plane's own tests and the
/// ECS strategy's scenarios.
/// </summary>
internal sealed class LocalEcsScenario : IAsyncDisposable
{
    public const string Cluster = "slipway";
    public const string Service = "api";
    public const string Family = "slipway-api";
    public const string Container = "api";
    public const string LogGroup = "/ecs/slipway-api";
    public const string StreamPrefix = "ecs";
    public const string TargetGroupArn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/slipway-api/0123456789abcdef";

    private LocalEcsScenario(LocalEcsPlane plane, LocalEcsImages images, string secretArn)
    {
        Plane = plane;
        Images = images;
        DatabasePasswordArn = secretArn;
    }

    public LocalEcsPlane Plane { get; }

    public LocalEcsImages Images { get; }

    /// <summary>The Secrets Manager ARN the task definition's DATABASE_PASSWORD comes from.</summary>
    public string DatabasePasswordArn { get; }

    public const string DatabasePassword = "s3cret-from-secrets-manager";

    public JsonObject NetworkConfiguration => new()
    {
        ["awsvpcConfiguration"] = new JsonObject
        {
            ["subnets"] = Subnets,
            ["securityGroups"] = SecurityGroups,
            ["assignPublicIp"] = "DISABLED",
        },
    };

    /// <summary>
    /// An environment file's "ecs" section naming this account as terraform's outputs would: the cluster, <paramref name="service"/>
    /// behind the load balancer, the VPC's subnets and security groups, the log group and the lock and ledger table.
    /// </summary>
    public JsonObject EnvironmentSection(string service, string logGroup, string streamPrefix, string table) => new()
    {
        ["region"] = Plane.Options.Region,
        ["cluster"] = Cluster,
        ["service"] = service,
        ["containerName"] = Container,
        ["loadBalancerUrl"] = Plane.LoadBalancerUrl.ToString(),
        ["subnets"] = Subnets,
        ["securityGroups"] = SecurityGroups,
        ["logGroup"] = logGroup,
        ["logStreamPrefix"] = streamPrefix,
        ["dynamoDbTable"] = table,
    };

    private JsonArray Subnets => [.. Plane.Options.Subnets.Select(s => (JsonNode)s)];

    private JsonArray SecurityGroups => [.. Plane.Options.SecurityGroups.Select(s => (JsonNode)s)];

    /// <summary>Starts a plane pulling with the test registry's credentials, and a cluster; the service comes with <see cref="CreateServiceAsync"/>.</summary>
    public static async Task<LocalEcsScenario> StartAsync(LocalEcsOptions? options = null)
    {
        var images = new LocalEcsImages("ecs" + Guid.NewGuid().ToString("N")[..8]);
        var plane = await LocalEcsPlane.StartAsync((options ?? new LocalEcsOptions()) with { RegistryCredentials = images.Auth });
        var scenario = new LocalEcsScenario(plane, images, plane.PutSecret("slipway/database-password", DatabasePassword));
        (await plane.CallAsync("CreateCluster", new JsonObject { ["clusterName"] = Cluster })).Ok();
        return scenario;
    }

    /// <summary>Registers a revision of the app's family running <paramref name="image"/>, its password from Secrets Manager; returns its ARN.</summary>
    public Task<string> RegisterAsync(string image) =>
        RegisterAsync(new AppTaskDefinition(image, new Dictionary<string, string> { ["DATABASE_PASSWORD"] = DatabasePasswordArn }));

    /// <summary>Registers <paramref name="definition"/> in the app's family; returns its ARN.</summary>
    public async Task<string> RegisterAsync(AppTaskDefinition definition) =>
        (await Plane.CallAsync("RegisterTaskDefinition", definition.ToJson(Plane.Options.Region))).Ok()["taskDefinition"]!["taskDefinitionArn"]!.GetValue<string>();

    /// <summary>Creates <paramref name="service"/> behind the load balancer, on the VPC's subnets, with the circuit breaker and rollback on.</summary>
    public async Task CreateServiceAsync(string taskDefinitionArn, int desiredCount, string service = Service)
    {
        (await Plane.CallAsync("CreateService", new JsonObject
        {
            ["cluster"] = Cluster,
            ["serviceName"] = service,
            ["taskDefinition"] = taskDefinitionArn,
            ["desiredCount"] = desiredCount,
            ["launchType"] = "FARGATE",
            ["networkConfiguration"] = NetworkConfiguration,
            ["loadBalancers"] = new JsonArray(new JsonObject { ["targetGroupArn"] = TargetGroupArn, ["containerName"] = Container, ["containerPort"] = LocalEcsImages.Port }),
            ["deploymentConfiguration"] = new JsonObject
            {
                ["maximumPercent"] = 200,
                ["minimumHealthyPercent"] = 100,
                ["deploymentCircuitBreaker"] = new JsonObject { ["enable"] = true, ["rollback"] = true },
            },
        })).Ok();
    }

    public async Task<JsonObject> DescribeServiceAsync() =>
        (await Plane.CallAsync("DescribeServices", new JsonObject { ["cluster"] = Cluster, ["services"] = new JsonArray(Service) })).Ok()["services"]![0]!.AsObject();

    /// <summary>Describes the service until <paramref name="done"/> holds; fails naming <paramref name="what"/> and the last events after <paramref name="patience"/>.</summary>
    public async Task<JsonObject> WaitForServiceAsync(Func<JsonObject, bool> done, string what, TimeSpan? patience = null)
    {
        var deadline = DateTimeOffset.UtcNow + (patience ?? TimeSpan.FromMinutes(3));
        while (true)
        {
            var service = await DescribeServiceAsync();
            if (done(service))
                return service;
            if (DateTimeOffset.UtcNow > deadline)
                throw new TimeoutException($"the service never got to: {what}. Its deployments: {service["deployments"]!.ToJsonString()} events: {service["events"]!.ToJsonString()}");
            await Task.Delay(250);
        }
    }

    /// <summary>The only deployment, PRIMARY, running <paramref name="taskDefinitionArn"/> and COMPLETED.</summary>
    public static bool Completed(JsonObject service, string taskDefinitionArn) =>
        service["deployments"]!.AsArray() is [{ } only]
        && only["taskDefinition"]!.GetValue<string>() == taskDefinitionArn
        && only["rolloutState"]!.GetValue<string>() == "COMPLETED";

    public async ValueTask DisposeAsync()
    {
        await Plane.DisposeAsync();
        await Images.DisposeAsync();
    }
}

/// <summary>
/// The app's task definition as terraform registers it: one Fargate container on <see cref="LocalEcsImages.Port"/> with
/// the images' health check, awslogs, plain variables and secrets by Secrets Manager reference.
/// </summary>
/// <param name="Secrets">Variable name → the Secrets Manager ARN it comes from (valueFrom).</param>
internal sealed record AppTaskDefinition(string Image, IReadOnlyDictionary<string, string> Secrets)
{
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" };

    public string LogGroup { get; init; } = LocalEcsScenario.LogGroup;

    public string StreamPrefix { get; init; } = LocalEcsScenario.StreamPrefix;

    /// <summary>Seconds ECS waits after SIGTERM before it kills the container.</summary>
    public int StopTimeout { get; init; } = 5;

    /// <summary>The RegisterTaskDefinition request.</summary>
    public JsonObject ToJson(string region) => new()
    {
        ["family"] = LocalEcsScenario.Family,
        ["networkMode"] = "awsvpc",
        ["requiresCompatibilities"] = new JsonArray("FARGATE"),
        ["cpu"] = "256",
        ["memory"] = "512",
        ["executionRoleArn"] = "arn:aws:iam::123456789012:role/slipway-execution",
        ["containerDefinitions"] = new JsonArray(new JsonObject
        {
            ["name"] = LocalEcsScenario.Container,
            ["image"] = Image,
            ["essential"] = true,
            ["portMappings"] = new JsonArray(new JsonObject { ["containerPort"] = LocalEcsImages.Port, ["protocol"] = "tcp" }),
            ["environment"] = new JsonArray([.. Environment.Select(v => (JsonNode)new JsonObject { ["name"] = v.Key, ["value"] = v.Value })]),
            ["secrets"] = new JsonArray([.. Secrets.Select(s => (JsonNode)new JsonObject { ["name"] = s.Key, ["valueFrom"] = s.Value })]),
            ["healthCheck"] = LocalEcsImages.HealthCheck,
            ["stopTimeout"] = StopTimeout,
            ["logConfiguration"] = new JsonObject
            {
                ["logDriver"] = "awslogs",
                ["options"] = new JsonObject { ["awslogs-group"] = LogGroup, ["awslogs-region"] = region, ["awslogs-stream-prefix"] = StreamPrefix },
            },
        }),
    };
}
