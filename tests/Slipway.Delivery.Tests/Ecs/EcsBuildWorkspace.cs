using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2.DocumentModel;
using Amazon.DynamoDBv2.Model;
using Slipway.Delivery.Tests.Deployment.DynamoDb;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.Delivery.Tests.Ecs.LocalEcs;
using Slipway.Delivery.Tests.Publishing;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Tests.Ecs;

/// <summary>
/// A repository of its own in which a test runs the real build (_build.dll, as ./build.sh runs it) for the ecs
/// environment, as a release manager does: the build workspace's tiny app and nginx images, and an
/// .nuke/environments/ecs.json naming the local plane's cluster, service, subnets, security groups, log group and load
/// balancer, and dynalite's table. ECR is <see cref="FakeEcrControlPlane"/> (its token logs in to the test registry),
/// reached like ECS, CloudWatch Logs and DynamoDB through the AWS SDKs' endpoint variables, with the plane's key.
/// The service runs the revision terraform registered (no release of ours) when the workspace is created.
/// </summary>
internal sealed class EcsBuildWorkspace : IAsyncDisposable
{
    private readonly DockerClient docker = new();
    private readonly Dynalite dynamo;

    private EcsBuildWorkspace(string root, LocalEcsScenario scenario, FakeEcrControlPlane ecr, Dynalite dynamo)
    {
        Root = root;
        Scenario = scenario;
        Ecr = ecr;
        this.dynamo = dynamo;
        Marker = "t" + Guid.NewGuid().ToString("N")[..8];
    }

    public string Root { get; }

    public LocalEcsScenario Scenario { get; }

    public LocalEcsPlane Plane => Scenario.Plane;

    public FakeEcrControlPlane Ecr { get; }

    /// <summary>The ARN of the revision terraform registered, which the service runs at first.</summary>
    public string TerraformRevision { get; private set; } = "";

    /// <summary>In every version this workspace releases (and so in its image tags): "1.0.0-&lt;marker&gt;".</summary>
    public string Marker { get; }

    public string Version(string release) => $"{release}-{Marker}";

    public string EnvironmentFile => Path.Combine(Root, ".nuke/environments/ecs.json");

    public static async Task<EcsBuildWorkspace> CreateAsync(Dynalite dynamo)
    {
        var scenario = await LocalEcsScenario.StartAsync();
        var ecr = new FakeEcrControlPlane(RealServers.RegistryUser!, RealServers.RegistryPassword!, $"http://{RealServers.Registry}");
        var root = Directory.CreateTempSubdirectory("slipway-ecs-workspace-").FullName;
        var workspace = new EcsBuildWorkspace(root, scenario, ecr, dynamo);
        try
        {
            await workspace.InitializeAsync();
            return workspace;
        }
        catch
        {
            await workspace.DisposeAsync();
            throw;
        }
    }

    private async Task InitializeAsync()
    {
        TerraformRevision = await Scenario.RegisterAsync(await Scenario.Images.PushAppAsync("terraform-placeholder"));
        await Scenario.CreateServiceAsync(TerraformRevision, desiredCount: 1);
        await Scenario.WaitForServiceAsync(s => LocalEcsScenario.Completed(s, TerraformRevision), "terraform's revision COMPLETED");

        BuildWorkspace.LayOut(Root);
        await File.WriteAllTextAsync(EnvironmentFile, new JsonObject
        {
            ["registry"] = new JsonObject { ["kind"] = "ecr", ["region"] = Plane.Options.Region, ["account"] = Plane.Options.Account },
            ["strategy"] = "ecs",
            ["project"] = "slipway",
            ["ecs"] = Scenario.EnvironmentSection(LocalEcsScenario.Service, LocalEcsScenario.LogGroup, LocalEcsScenario.StreamPrefix, dynamo.Table),
            ["health"] = new JsonObject { ["timeoutSeconds"] = 180 },
            ["smoke"] = new JsonObject { ["timeoutSeconds"] = 60, ["retries"] = 4, ["initialBackoffMilliseconds"] = 300 },
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        await BuildWorkspace.RunAsync(Root, "git", "init", "-q");
        await CommitAsync("the workspace");
    }

    /// <summary>Changes the environment file; commit to release it.</summary>
    public async Task EditEnvironmentAsync(Action<JsonNode> edit)
    {
        var file = JsonNode.Parse(await File.ReadAllTextAsync(EnvironmentFile))!;
        edit(file);
        await File.WriteAllTextAsync(EnvironmentFile, file.ToJsonString());
    }

    /// <summary>A new commit of everything in the workspace; returns its short hash (as in the release's version).</summary>
    public Task<string> CommitAsync(string message) => BuildWorkspace.CommitAllAsync(Root, message);

    /// <summary>What a process needs to reach this account: the plane's key and region, and the ECS, Logs, ECR and DynamoDB endpoints.</summary>
    public IReadOnlyDictionary<string, string> AwsVariables => new Dictionary<string, string>(Plane.EnvironmentVariables)
    {
        ["AWS_ENDPOINT_URL_ECR"] = Ecr.Url.ToString().TrimEnd('/'),
        ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamo.Endpoint,
    };

    /// <summary>
    /// ./build.sh &lt;arguments&gt; --environment ecs, not as a CI build. <paramref name="withoutCredentials"/>: no AWS key
    /// in the environment and no ~/.aws files, so the SDK's chain finds none.
    /// </summary>
    public Task<BuildOutput> RunAsync(IReadOnlyList<string> arguments, bool withoutCredentials = false)
    {
        var variables = new Dictionary<string, string>(AwsVariables)
        {
            // The chain's files, made absent: the machine's own ~/.aws must not count.
            ["AWS_CONFIG_FILE"] = Path.Combine(Root, "no-aws-config"),
            ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(Root, "no-aws-credentials"),
        };
        string[] keys = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"];
        if (withoutCredentials)
        {
            foreach (var key in keys)
                variables.Remove(key);
        }

        // A guard against a hung build, not a measure.
        return BuildOutput.RunAsync(Root, [.. arguments, "--environment", "ecs"], variables, TimeSpan.FromMinutes(10), unset: withoutCredentials ? keys : null);
    }

    /// <summary>
    /// What a deploy could change, one line per fact: the service (its revision, desired count, deployments), the
    /// revisions of its family, its tasks running and stopped, the images built on the engine, and every item of the
    /// lock and ledger table.
    /// </summary>
    public async Task<IReadOnlyList<string>> SnapshotAsync()
    {
        var lines = new List<string>();
        var service = await Scenario.DescribeServiceAsync();
        lines.Add($"service    {service["taskDefinition"]} desired {service["desiredCount"]}");
        lines.AddRange(service["deployments"]!.AsArray().Select(d => $"deployment {d!["id"]} {d["status"]} {d["taskDefinition"]} {d["rolloutState"]} desired {d["desiredCount"]}"));
        for (var revision = 1; ; revision++)
        {
            var described = await Plane.CallAsync("DescribeTaskDefinition", new JsonObject { ["taskDefinition"] = $"{LocalEcsScenario.Family}:{revision}" });
            if (described.Status != 200)
                break;
            lines.Add($"revision   {described.Body["taskDefinition"]!["taskDefinitionArn"]} {described.Body["taskDefinition"]!["containerDefinitions"]![0]!["image"]}");
        }

        foreach (var status in new[] { "RUNNING", "STOPPED" })
        {
            var arns = (await Plane.CallAsync("ListTasks", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["desiredStatus"] = status })).Ok()["taskArns"]!.AsArray();
            lines.AddRange(arns.Select(a => $"task       {status} {a}").Order(StringComparer.Ordinal));
        }

        lines.AddRange((await ImagesAsync()).Select(i => $"image      {i.Id} {string.Join(',', (i.RepoTags ?? []).Order(StringComparer.Ordinal))}").Order(StringComparer.Ordinal));
        var items = await dynamo.Client.ScanAsync(new ScanRequest { TableName = dynamo.Table, ConsistentRead = true });
        lines.AddRange(items.Items.Select(i => "item       " + Document.FromAttributeMap(i).ToJson()).Order(StringComparer.Ordinal));
        return lines;
    }

    /// <summary>The requests that changed the account since <paramref name="from"/> (an index into the plane's <see cref="LocalEcsPlane.Calls"/>).</summary>
    public IReadOnlyList<EcsCall> ChangesSince(int from) => Plane.Calls.Skip(from).Where(c => c.Changes).ToArray();

    /// <summary>The engine's images this workspace built: their tags carry its marker.</summary>
    private async Task<IReadOnlyList<ImageSummary>> ImagesAsync() =>
        (await docker.Images.ListAsync()).Where(i => (i.RepoTags ?? []).Any(t => t.Contains(Marker, StringComparison.Ordinal))).ToArray();

    public async ValueTask DisposeAsync()
    {
        await Scenario.DisposeAsync();
        Ecr.Dispose();
        foreach (var image in await ImagesAsync())
        {
            try
            {
                await docker.Images.RemoveAsync(image.Id, force: true);
            }
            catch (DockerApiException)
            {
                // Gone already.
            }
        }

        docker.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
