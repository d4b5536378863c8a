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
            ["subnets"] = new JsonArray([.. Plane.Options.Subnets.Select(s => (JsonNode)s)]),
            ["securityGroups"] = new JsonArray([.. Plane.Options.SecurityGroups.Select(s => (JsonNode)s)]),
            ["assignPublicIp"] = "DISABLED",
        },
    };

    /// <summary>Starts a plane pulling with the test registry's credentials, and a cluster; the service comes with <see cref="CreateServiceAsync"/>.</summary>
    public static async Task<LocalEcsScenario> StartAsync(LocalEcsOptions? options = null)
    {
        var images = new LocalEcsImages("ecs" + Guid.NewGuid().ToString("N")[..8]);
        var plane = await LocalEcsPlane.StartAsync((options ?? new LocalEcsOptions()) with { RegistryCredentials = images.Auth });
        var scenario = new LocalEcsScenario(plane, images, plane.PutSecret("slipway/database-password", DatabasePassword));
        (await plane.CallAsync("CreateCluster", new JsonObject { ["clusterName"] = Cluster })).Ok();
        return scenario;
    }

    /// <summary>Registers a revision of the app's family running <paramref name="image"/>; returns its ARN.</summary>
    public async Task<string> RegisterAsync(string image)
    {
        var answer = (await Plane.CallAsync("RegisterTaskDefinition", new JsonObject
        {
            ["family"] = Family,
            ["networkMode"] = "awsvpc",
            ["requiresCompatibilities"] = new JsonArray("FARGATE"),
            ["cpu"] = "256",
            ["memory"] = "512",
            ["executionRoleArn"] = "arn:aws:iam::123456789012:role/slipway-execution",
            ["containerDefinitions"] = new JsonArray(new JsonObject
            {
                ["name"] = Container,
                ["image"] = image,
                ["essential"] = true,
                ["portMappings"] = new JsonArray(new JsonObject { ["containerPort"] = LocalEcsImages.Port, ["protocol"] = "tcp" }),
                ["environment"] = new JsonArray(new JsonObject { ["name"] = "ASPNETCORE_ENVIRONMENT", ["value"] = "Production" }),
                ["secrets"] = new JsonArray(new JsonObject { ["name"] = "DATABASE_PASSWORD", ["valueFrom"] = DatabasePasswordArn }),
                ["healthCheck"] = LocalEcsImages.HealthCheck,
                ["stopTimeout"] = 5,
                ["logConfiguration"] = new JsonObject
                {
                    ["logDriver"] = "awslogs",
                    ["options"] = new JsonObject { ["awslogs-group"] = LogGroup, ["awslogs-region"] = Plane.Options.Region, ["awslogs-stream-prefix"] = StreamPrefix },
                },
            }),
        })).Ok();
        return answer["taskDefinition"]!["taskDefinitionArn"]!.GetValue<string>();
    }

    public async Task CreateServiceAsync(string taskDefinitionArn, int desiredCount)
    {
        (await Plane.CallAsync("CreateService", new JsonObject
        {
            ["cluster"] = Cluster,
            ["serviceName"] = Service,
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
