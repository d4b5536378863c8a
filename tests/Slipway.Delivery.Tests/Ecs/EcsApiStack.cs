using System.Text.Json.Nodes;
using Amazon.Runtime;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Deployment.DynamoDb;
using Slipway.Delivery.Tests.Ecs.LocalEcs;
using Slipway.Delivery.Tests.Images;
using Slipway.Migrations;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Tests.Ecs;

/// <summary>
/// The product as terraform leaves it on ECS, on the local control plane: the real API image (releases that differ as real
/// ones do: a migration more, or a broken one) pushed to the test registry, PostgreSQL standing for RDS and Redis for
/// ElastiCache on the plane's VPC network, the database URL in Secrets Manager, and the service running the
/// placeholder revision terraform registered. The deploys go through <see cref="EcsDeployer"/> and the runner, with the
/// lock and ledger in DynamoDB (dynalite), as ReleaseRunner.For keeps them for an ecs environment.
/// </summary>
internal sealed class EcsApiStack : IAsyncDisposable
{
    public const string LogGroup = "/ecs/slipway-test";
    public const string StreamPrefix = "api";
    private const string DatabasePassword = "rds-password-7f3a";

    private readonly DockerClient docker = new();
    private readonly List<string> containers = [];
    private readonly List<string> images = [];
    private readonly List<IDisposable> stores = [];
    private readonly string project = "ecsapi" + Guid.NewGuid().ToString("N")[..8];

    private readonly Dynalite dynamo;

    private EcsApiStack(LocalEcsScenario scenario, Dynalite dynamo) => (Scenario, this.dynamo) = (scenario, dynamo);

    public LocalEcsScenario Scenario { get; }

    public LocalEcsPlane Plane => Scenario.Plane;

    public DeployEnvironment Environment { get; private set; } = null!;

    public string BaseImage { get; private set; } = "";

    /// <summary>The ledger and the service's deploys, as Deploy and Rollback log them.</summary>
    public List<string> Log { get; } = [];

    public static async Task<EcsApiStack> StartAsync(Dynalite dynamo, string service, int desiredCount)
    {
        var stack = new EcsApiStack(await LocalEcsScenario.StartAsync(new LocalEcsOptions { DeregistrationDelay = TimeSpan.FromSeconds(2) }), dynamo);
        try
        {
            await stack.InitializeAsync(service, desiredCount);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    private async Task InitializeAsync(string service, int desiredCount)
    {
        var registry = RealServers.Registry!;
        await StartAsync("postgres", $"{registry}/library/postgres:15.4-alpine", new Dictionary<string, string>
        {
            ["POSTGRES_USER"] = "slipway", ["POSTGRES_PASSWORD"] = DatabasePassword, ["POSTGRES_DB"] = "slipway",
        });
        await StartAsync("redis", $"{registry}/library/redis:7.0-alpine", new Dictionary<string, string>());
        BaseImage = (await TestApiImage.EnsureAsync(docker)).Reference;
        var databaseUrl = Plane.PutSecret("slipway/database-url", $"postgres://slipway:{DatabasePassword}@postgres:5432/slipway");

        // What terraform registers: the app's container with its health check, logs, a secret by reference; its image a
        // placeholder the first deploy replaces (here the API itself, unlabelled: no release of ours).
        var placeholder = await PushAsync("placeholder");
        var definition = await Scenario.RegisterAsync(new AppTaskDefinition(placeholder, new Dictionary<string, string> { ["DATABASE_URL"] = databaseUrl })
        {
            Environment = new Dictionary<string, string> { ["REDIS_URL"] = "redis://redis:6379" },
            LogGroup = LogGroup,
            StreamPrefix = StreamPrefix,
            StopTimeout = 10,
        });
        await Scenario.CreateServiceAsync(definition, desiredCount, service);

        Environment = EnvironmentFile.Parse(new JsonObject
        {
            ["registry"] = new JsonObject { ["kind"] = "basic", ["address"] = registry, ["user"] = "unused", ["passwordVariable"] = "UNUSED_REGISTRY_PASSWORD" },
            ["strategy"] = "ecs",
            ["project"] = "slipway",
            ["ecs"] = Scenario.EnvironmentSection(service, LogGroup, StreamPrefix, dynamo.Table),
            ["health"] = new JsonObject { ["timeoutSeconds"] = 240 },
            ["smoke"] = new JsonObject { ["timeoutSeconds"] = 90, ["retries"] = 3, ["initialBackoffMilliseconds"] = 300 },
        }.ToJsonString(), EnvironmentName.Ecs, ".nuke/environments/ecs.json");
    }

    /// <summary>The API image as a release ships it: the tested image, plus <paramref name="migration"/> (file name, SQL) when given; by digest.</summary>
    public async Task<string> PushAsync(string tag, (string File, string Sql)? migration = null, string? dockerfileTail = null)
    {
        var folder = Directory.CreateTempSubdirectory("slipway-ecs-api-").FullName;
        try
        {
            var dockerfile = $"FROM {BaseImage}\nLABEL org.slipway.test-release=\"{project}-{tag}\"\n";
            if (migration is { } added)
            {
                await File.WriteAllTextAsync(Path.Combine(folder, added.File), added.Sql);
                dockerfile += $"COPY {added.File} /app/Migrations/\n";
            }

            await File.WriteAllTextAsync(Path.Combine(folder, "Dockerfile"), dockerfile + dockerfileTail);
            var repository = $"{RealServers.Registry}/{project}/api";
            await using (var context = await BuildContext.CreateAsync(folder, "Dockerfile"))
                await docker.Images.BuildAsync(context.Archive, new ImageBuildParameters { Tags = [$"{repository}:{tag}"] });
            var pushed = await docker.Images.PushAsync(repository, tag, Scenario.Images.Auth);
            images.Add($"{repository}:{tag}");
            return $"{repository}@{pushed.Digest}";
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public ReleaseRunner Runner(List<string>? log = null)
    {
        void Write(string line)
        {
            var target = log ?? Log;
            lock (target)
                target.Add(line);
        }

        var deployer = new EcsDeployer(Environment, Write, new BasicAWSCredentials(Plane.Options.AccessKeyId, Plane.Options.SecretAccessKey), new AwsEndpoints(Plane.Endpoint, Plane.Endpoint));
        return new ReleaseRunner(Environment, deployer, Store, Write);
    }

    public DeployRequest Request(string version, string image) =>
        new(Environment, RepositoryFiles.Root, version, image, null, new Dictionary<string, string>())
        {
            ReleaseCommand = ["migrate", "--applied-by", "ecs-test"],
        };

    public RollbackRequest Rollback(string? toVersion = null) =>
        new(Environment, RepositoryFiles.Root, new Dictionary<string, string>(), null, MigrationSet.Load(RepositoryFiles.PathOf("src/Api/Migrations")))
        {
            ToVersion = toVersion,
        };

    /// <summary>A store of its own, as another process or CI runner opens it: the lock and ledger are the table's items.</summary>
    private IReleaseStore Store
    {
        get
        {
            var store = dynamo.Store(project);
            lock (stores)
                stores.Add(store);
            return store;
        }
    }

    public async Task<IReadOnlyList<Release>> LedgerAsync() =>
        await (await Store.OpenReadOnlyLedgerAsync(_ => { })).ReadAsync();

    public async Task<JsonObject> ServiceAsync() =>
        (await Plane.CallAsync("DescribeServices", new JsonObject { ["cluster"] = LocalEcsScenario.Cluster, ["services"] = new JsonArray(Environment.Ecs!.Service) }))
        .Ok()["services"]![0]!.AsObject();

    /// <summary>Runs SQL in the database standing for RDS.</summary>
    public async Task<string> SqlAsync(string sql)
    {
        var result = await docker.Containers.ExecAsync(containers[0], ["psql", "-h", "/var/run/postgresql", "-U", "slipway", "-d", "slipway", "-tAc", sql]);
        Assert.True(result.Succeeded, result.StandardError);
        return result.StandardOutput.Trim();
    }

    private async Task StartAsync(string alias, string image, IReadOnlyDictionary<string, string> env)
    {
        var name = $"{Plane.Name}-{alias}";
        await docker.Containers.CreateAsync(new ContainerSpec
        {
            Name = name,
            Image = image,
            Env = env,
            Networks = [new NetworkAttachment(Plane.Network, [alias])],
        });
        containers.Add(name);
        await docker.Containers.StartAsync(name);
        if (alias == "postgres")
        {
            var deadline = DateTimeOffset.UtcNow.AddMinutes(1);
            while (!(await docker.Containers.ExecAsync(name, ["pg_isready", "-h", "127.0.0.1", "-U", "slipway"])).Succeeded)
            {
                Assert.True(DateTimeOffset.UtcNow < deadline, "PostgreSQL never got ready");
                await Task.Delay(300);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The database and cache first: the plane removes its VPC network, which must have no container left.
        foreach (var name in containers)
            await Ignore(() => docker.Containers.RemoveAsync(name, force: true));
        await Scenario.DisposeAsync();
        foreach (var image in images)
            await Ignore(() => docker.Images.RemoveAsync(image, force: true));
        foreach (var store in stores)
            store.Dispose();
        docker.Dispose();
    }

    private static async Task Ignore(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (DockerApiException)
        {
            // Never created, or gone already.
        }
    }
}
