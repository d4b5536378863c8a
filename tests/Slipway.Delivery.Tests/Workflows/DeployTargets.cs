using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.Delivery.Tests.Images;
using Slipway.Delivery.Tests.Publishing;
using Slipway.Tools.Docker;
using Slipway.Tools.Processes;

namespace Slipway.Delivery.Tests.Workflows;

/// <summary>
/// One host deploy.yml delivers to: a private Docker engine (docker/scripts/engine.sh) reached over tcp with TLS both
/// ways, as staging's and prod's engines are, and the nginx certificates its stack serves, on free loopback ports.
/// </summary>
internal sealed class TargetHost : IAsyncDisposable
{
    private readonly string folder;
    private readonly Dictionary<string, string?> engineEnvironment;

    private TargetHost(string folder, int enginePort)
    {
        this.folder = folder;
        EnginePort = enginePort;
        engineEnvironment = new Dictionary<string, string?>
        {
            ["SLIPWAY_ENGINE_DIR"] = Path.Combine(folder, "engine"),
            ["SLIPWAY_ENGINE_TLS_PORT"] = enginePort.ToString(CultureInfo.InvariantCulture),
            ["SLIPWAY_ENGINE_TLS_DIR"] = EngineCertificates,
        };
    }

    public int EnginePort { get; }

    public int HttpPort { get; } = DeployTestStack.FreePort();

    public int HttpsPort { get; } = DeployTestStack.FreePort();

    /// <summary>The engine's CA, its server certificate and a client certificate (ca.pem, cert.pem, key.pem: the DOCKER_TLS_* secrets).</summary>
    public string EngineCertificates => Path.Combine(folder, "engine-certs");

    /// <summary>nginx/gen-certs.sh's output for this host (NGINX_CERTS_DIR); ca.crt is what the environment file trusts.</summary>
    public string NginxCertificates => Path.Combine(folder, "nginx-certs");

    public DockerClient Docker { get; private set; } = null!;

    public static async Task<TargetHost> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("slipway-target-").FullName;
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        var host = new TargetHost(folder, DeployTestStack.FreePort());
        Directory.CreateDirectory(host.EngineCertificates);
        Deployment.TestStack.EngineCertificates.Write(host.EngineCertificates);
        await ProcessRunner.RunAsync("bash", [RepositoryFiles.PathOf("nginx/gen-certs.sh"), host.NginxCertificates], new ProcessOptions { Timeout = TimeSpan.FromMinutes(1) });
        await ProcessRunner.RunAsync("bash", [RepositoryFiles.PathOf("docker/scripts/engine.sh"), "start"],
            new ProcessOptions { Environment = host.engineEnvironment, Timeout = TimeSpan.FromMinutes(2) });
        host.Docker = new DockerClient(DockerEndpoint.Parse(host.EngineAddress, host.EngineCertificates));
        return host;
    }

    public string EngineAddress => $"tcp://127.0.0.1:{EnginePort.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The secrets a job writes into .nuke/certs/&lt;env&gt; to reach this engine.</summary>
    public IEnumerable<KeyValuePair<string, string>> TlsSecrets() =>
    [
        new("DOCKER_TLS_CA", File.ReadAllText(Path.Combine(EngineCertificates, "ca.pem")).TrimEnd()),
        new("DOCKER_TLS_CERT", File.ReadAllText(Path.Combine(EngineCertificates, "cert.pem")).TrimEnd()),
        new("DOCKER_TLS_KEY", File.ReadAllText(Path.Combine(EngineCertificates, "key.pem")).TrimEnd()),
    ];

    /// <summary>The digests the engine's running containers of <paramref name="image"/> (slipway-api, slipway-nginx) were pulled by.</summary>
    public async Task<IReadOnlyList<string>> RunningDigestsAsync(string image) =>
        [.. (await RunningAsync(image)).SelectMany(r => r.Digests).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>
    /// The proxy release nginx serves now. A release whose nginx runtime is unchanged is handed over to the running
    /// container (<see cref="ProxyReleases"/>), which keeps the image it was created from: what it serves is this, not its image.
    /// </summary>
    public async Task<string?> ServedProxyReleaseAsync() =>
        await ProxyReleases.LiveAsync(Docker, (await RunningAsync("slipway-nginx")).Single().Container.Name, CancellationToken.None);

    /// <summary>The proxy release of the image <paramref name="pinned"/> (registry/repository@digest) names, on this engine.</summary>
    public async Task<string> ProxyReleaseOfAsync(string pinned) => ProxyReleases.Id(await Docker.Images.InspectAsync(pinned));

    private async Task<List<(ContainerSummary Container, IReadOnlyList<string> Digests)>> RunningAsync(string image)
    {
        var running = new List<(ContainerSummary, IReadOnlyList<string>)>();
        foreach (var container in (await Docker.Containers.ListAsync([])).Where(c => c.State == "running"))
        {
            var inspect = await Docker.Images.InspectAsync(container.ImageID);
            var digests = (inspect.RepoDigests ?? []).Where(d => d.Split('@')[0].EndsWith("/" + image, StringComparison.Ordinal)).Select(d => d.Split('@')[1]).ToList();
            if (digests.Count > 0)
                running.Add((container, digests));
        }

        return running;
    }

    /// <summary>/health through this host's public URL, over TLS verified against its own CA: what the app answered and the headers nginx added.</summary>
    public async Task<(JsonElement Body, IReadOnlyDictionary<string, string> Headers)> HealthAsync()
    {
        using var http = Slipway.Delivery.Deployment.SmokeTests.SmokeTester.CreateClient(Path.Combine(NginxCertificates, "ca.crt"), TimeSpan.FromSeconds(10));
        using var response = await http.GetAsync(new Uri($"https://localhost:{HttpsPort.ToString(CultureInfo.InvariantCulture)}/health"));
        response.EnsureSuccessStatusCode();
        using var health = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (health.RootElement.Clone(), response.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase));
    }

    public async ValueTask DisposeAsync()
    {
        Docker?.Dispose();
        await ProcessRunner.RunAsync("bash", [RepositoryFiles.PathOf("docker/scripts/engine.sh"), "stop"],
            new ProcessOptions { Environment = engineEnvironment, Timeout = TimeSpan.FromMinutes(2) });
        await ProcessRunner.RunAsync("rm", ["-rf", folder], new ProcessOptions { Timeout = TimeSpan.FromMinutes(2) });
    }
}

/// <summary>
/// Where the scenarios' deploy.yml delivers, all on this machine (no cloud here): staging and production are two private
/// engines over TLS (<see cref="TargetHost"/>); staging's registry is the shared test registry (basic auth, the base
/// images already mirrored there); production's is an ECR: a registry of its own (<see cref="PrivateRegistry"/>, which
/// seed-base-images fills with the base images its stack pulls) behind the fake ECR control plane, whose authorization
/// token logs in to it. The runner's own engine, where the deploy jobs build, is private too and seeded from the commit. The
/// repository copy commits environment files naming these hosts, as a team's name theirs; the secrets and variables the
/// jobs read are the simulated GitHub's environment secrets and variables.
/// </summary>
internal sealed class DeployTargets : IAsyncDisposable
{
    public const string ProductionRole = "arn:aws:iam::123456789012:role/slipway-deploy";

    private DeployTargets(TargetHost staging, TargetHost production, PrivateRegistry productionRegistry, FakeEcrControlPlane ecr)
    {
        Staging = staging;
        Production = production;
        ProductionRegistry = productionRegistry;
        Ecr = ecr;
    }

    public TargetHost Staging { get; }

    public TargetHost Production { get; }

    public PrivateRegistry ProductionRegistry { get; }

    public FakeEcrControlPlane Ecr { get; }

    private readonly string builder = Directory.CreateTempSubdirectory("slipway-runner-engine-").FullName;

    private Dictionary<string, string?> BuilderEnvironment => new() { ["SLIPWAY_ENGINE_DIR"] = Path.Combine(builder, "engine") };

    public static string StagingRegistry => RealServers.Registry ?? throw new InvalidOperationException("SLIPWAY_TEST_REGISTRY is not set");

    public static async Task<DeployTargets> StartAsync()
    {
        RealServers.Require(RealServers.Registry is not null && RealServers.RegistryPassword is not null, "the test registry (SLIPWAY_TEST_REGISTRY)", RealServers.StartAll);
        var hosts = await Task.WhenAll(TargetHost.StartAsync(), TargetHost.StartAsync());
        var registry = await PrivateRegistry.StartAsync();
        return new DeployTargets(hosts[0], hosts[1], registry, new FakeEcrControlPlane(PrivateRegistry.User, registry.Password, $"http://{registry.Address}"));
    }

    /// <summary>
    /// Commits staging.json and prod.json naming these hosts and registries (and the CA each public certificate is signed
    /// by) to the repository, and gives the simulated GitHub the environments' secrets and variables.
    /// </summary>
    public async Task ConfigureAsync(RealRepositoryRunners runners)
    {
        var repository = runners.Repository.Path;
        await EditAsync(repository, "staging", Staging, StagingRegistry, file =>
        {
            file["registry"]!["address"] = StagingRegistry;
            file["registry"]!["user"] = RealServers.RegistryUser;
        });
        await EditAsync(repository, "prod", Production, ProductionRegistry.Address, _ => { });
        // The workflows name each environment's URL, so they are regenerated and committed with the files, as the
        // freshness check (the test job's first target) demands.
        await GenerateWorkflowsAsync(repository);
        await runners.Repository.CommitAsync("staging and production are our hosts");

        var github = runners.GitHub;
        var postgres = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        github.EnvironmentSecrets["staging"] = new Dictionary<string, string>(Staging.TlsSecrets(), StringComparer.Ordinal)
        {
            ["POSTGRES_PASSWORD"] = postgres,
            ["SLIPWAY_STAGING_REGISTRY_PASSWORD"] = RealServers.RegistryPassword!,
        };
        // Production's job reads staging's registry too: Promote copies from it.
        github.EnvironmentSecrets["production"] = new Dictionary<string, string>(Production.TlsSecrets(), StringComparer.Ordinal)
        {
            ["POSTGRES_PASSWORD"] = postgres,
            ["SLIPWAY_STAGING_REGISTRY_PASSWORD"] = RealServers.RegistryPassword!,
        };
        github.EnvironmentVariables["production"] = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AWS_ROLE_ARN"] = ProductionRole,
            ["AWS_REGION"] = "eu-west-1",
        };
        // The runner's own Docker engine, where the deploy jobs build their images (a GitHub-hosted runner has one at
        // /var/run/docker.sock, and pulls the base images from their registries): a private engine with the base images
        // the repository's seed-base-images makes (no network here), so that the SDK image's offline NuGet feed is this
        // commit's. It also pushes them to production's registry, where production's stack pulls postgres and redis.
        var engine = BuilderEnvironment;
        await ProcessRunner.RunAsync("bash", [RepositoryFiles.PathOf("docker/scripts/engine.sh"), "start"],
            new ProcessOptions { Environment = engine, Timeout = TimeSpan.FromMinutes(2) });
        var dockerHost = $"unix://{Path.Combine(builder, "engine", "docker.sock")}";
        await ProcessRunner.RunAsync("bash", [Path.Combine(repository, "docker/scripts/seed-base-images.sh")], new ProcessOptions
        {
            WorkingDirectory = repository,
            Timeout = TimeSpan.FromMinutes(15),
            Environment = new Dictionary<string, string?>
            {
                ["DOCKER_HOST"] = dockerHost,
                ["SLIPWAY_TEST_REGISTRY"] = ProductionRegistry.Address,
                ["SLIPWAY_TEST_REGISTRY_USER"] = PrivateRegistry.User,
                ["SLIPWAY_TEST_REGISTRY_PASSWORD"] = ProductionRegistry.Password,
                ["SLIPWAY_ROOTFS_CACHE"] = github.RunnerVariables["SLIPWAY_ROOTFS_CACHE"],
            },
        });
        github.RunnerVariables["DOCKER_HOST"] = dockerHost;
        // ECR's control plane is the fake on 127.0.0.1 (no AWS here), reached as the AWS SDKs and our code reach a custom endpoint.
        github.RunnerVariables["AWS_ENDPOINT_URL_ECR"] = Ecr.Url.ToString();
        github.ServedSteps[RunnerTrivy.Step] = RunnerTrivy.ServeAsync;
    }

    /// <summary>A release that changes one environment file (and the workflows, regenerated from it): returns the commit.</summary>
    public static async Task<string> CommitEnvironmentAsync(RealRepositoryRunners runners, string environment, Action<JsonNode> edit, string message)
    {
        await EditFileAsync(runners.Repository.Path, environment, edit);
        await GenerateWorkflowsAsync(runners.Repository.Path);
        return await runners.Repository.CommitAsync(message);
    }

    private static Task GenerateWorkflowsAsync(string repository) =>
        ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "_build.dll"), "--generate-ci"],
            new ProcessOptions { WorkingDirectory = repository, Timeout = TimeSpan.FromMinutes(2) });

    private static async Task EditFileAsync(string repository, string environment, Action<JsonNode> edit)
    {
        var path = Path.Combine(repository, ".nuke", "environments", environment + ".json");
        var file = JsonNode.Parse(await File.ReadAllTextAsync(path), documentOptions: new() { CommentHandling = JsonCommentHandling.Skip })!;
        edit(file);
        await File.WriteAllTextAsync(path, file.ToJsonString(new() { WriteIndented = true }));
    }

    private static Task EditAsync(string repository, string environment, TargetHost host, string mirror, Action<JsonNode> edit) =>
        EditFileAsync(repository, environment, file =>
        {
            file["docker"]!["host"] = host.EngineAddress;
            file["publicUrl"] = $"https://localhost:{host.HttpsPort.ToString(CultureInfo.InvariantCulture)}";
            // Only the CA's certificate is committed; its key and the server's stay on the host (NGINX_CERTS_DIR).
            var ca = $".nuke/environments/{environment}-ca.crt";
            File.Copy(Path.Combine(host.NginxCertificates, "ca.crt"), Path.Combine(repository, ca), overwrite: true);
            file["trustedCaFile"] = ca;
            var variables = file["compose"]!["variables"]!;
            variables["IMAGE_MIRROR"] = mirror;
            variables["NGINX_BIND_ADDRESS"] = "127.0.0.1";
            variables["NGINX_HTTP_PORT"] = host.HttpPort.ToString(CultureInfo.InvariantCulture);
            variables["NGINX_HTTPS_PORT"] = host.HttpsPort.ToString(CultureInfo.InvariantCulture);
            variables["NGINX_CERTS_DIR"] = host.NginxCertificates;
            edit(file);
        });

    public async ValueTask DisposeAsync()
    {
        await ProcessRunner.RunAsync("bash", [RepositoryFiles.PathOf("docker/scripts/engine.sh"), "stop"],
            new ProcessOptions { Environment = BuilderEnvironment, Timeout = TimeSpan.FromMinutes(2) });
        await ProcessRunner.RunAsync("rm", ["-rf", builder], new ProcessOptions { Timeout = TimeSpan.FromMinutes(2) });
        await Staging.DisposeAsync();
        await Production.DisposeAsync();
        await ProductionRegistry.DisposeAsync();
        Ecr.Dispose();
    }
}
