using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Slipway.Migrations;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Images;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Tests.Deployment.TestStack;

/// <summary>
/// A disposable environment on the real test engine: unique project name, its own certificates,
/// free loopback ports, the real edge nginx image and tiny app images pushed to the real registry
/// (with auth) and deployed by digest. Everything it made is removed on dispose.
/// </summary>
internal sealed class DeployTestStack : IAsyncDisposable
{
    public const string Folder = "tests/Slipway.Delivery.Tests/Deployment/TestStack";
    private static readonly SemaphoreSlim EdgeGate = new(1, 1);
    private readonly List<string> pushedTags = [];
    private readonly string certs;

    private DeployTestStack(DockerClient builder, DockerClient docker, string project, string certs, int httpsPort, int httpPort, RegistryAuth auth, string edgeImage, DeployStrategy strategy)
    {
        Builder = builder;
        Docker = docker;
        Project = project;
        this.certs = certs;
        HttpsPort = httpsPort;
        Auth = auth;
        Environment = new DeployEnvironment
        {
            Name = EnvironmentName.Local,
            SourceFile = "(test)",
            Docker = new DockerSettings(null, null),
            Registry = new RegistrySettings(RegistryKind.Basic, auth.ServerAddress, auth.Username, "SLIPWAY_TEST_REGISTRY_PASSWORD", null, null),
            Strategy = strategy,
            Project = project,
            PublicUrl = new Uri($"https://localhost:{httpsPort}"),
            TrustedCaFile = Path.Combine(certs, "ca.crt"),
            Compose = new ComposeSettings(
                strategy == DeployStrategy.Swarm
                    ? [$"{Folder}/docker-compose.test-app.yml", $"{Folder}/docker-compose.test-app.swarm.yml"]
                    : [$"{Folder}/docker-compose.test-app.yml"],
                "api",
                "nginx", "/etc/nginx/upstreams/api.conf", 8080,
                new Dictionary<string, string>
                {
                    ["NGINX_IMAGE"] = edgeImage,
                    ["NGINX_HTTP_PORT"] = httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["NGINX_HTTPS_PORT"] = httpsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["NGINX_CERTS_DIR"] = certs,
                }),
            Health = new HealthSettings(TimeSpan.FromSeconds(30)),
            Smoke = new SmokeSettings(TimeSpan.FromSeconds(20), 4, TimeSpan.FromMilliseconds(100)),
            Drain = TimeSpan.FromSeconds(1),
        };
    }

    /// <summary>
    /// Tagged by the content of nginx/ and its Dockerfile: test runs from other checkouts share the engine,
    /// and one tag for all would hand a stack whichever nginx configuration was built last.
    /// </summary>
    public static string EdgeImage { get; } = $"slipway-test/edge:{EdgeContentHash()}";

    /// <summary>The engine images are built on (the test engine).</summary>
    public DockerClient Builder { get; }

    /// <summary>The environment's engine, deployed to: the test engine, or a second one that has only what it pulls.</summary>
    public DockerClient Docker { get; }

    public string Project { get; }

    public int HttpsPort { get; }

    public RegistryAuth Auth { get; }

    public DeployEnvironment Environment { get; set; }

    public string Root => RepositoryFiles.Root;

    /// <param name="target">A second engine to deploy to; by default the test engine itself.</param>
    /// <param name="strategy">Swarm adds docker-compose.test-app.swarm.yml; the target must then be a swarm manager.</param>
    public static async Task<DeployTestStack> CreateAsync(DockerEndpoint? target = null, DeployStrategy strategy = DeployStrategy.SingleHost)
    {
        var builder = new DockerClient();
        var docker = target is null ? builder : new DockerClient(target);
        var project = "t" + Guid.NewGuid().ToString("N")[..8];
        var certs = Directory.CreateTempSubdirectory("slipway-deploy-certs-").FullName;
        // nginx runs as uid 101 and must traverse the folder (gen-certs.sh makes the key group-readable).
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(certs, (UnixFileMode)0b111_101_101);
        await RunAsync("bash", RepositoryFiles.PathOf("nginx/gen-certs.sh"), certs);
        var auth = new RegistryAuth(RealServers.RegistryUser ?? "AWS", RealServers.RegistryPassword ?? "", RealServers.Registry ?? "127.0.0.1:5000");
        await EnsureEdgeImageAsync(builder);
        var edge = EdgeImage;
        if (target is not null)
        {
            // A fresh engine has only what it pulls: the edge image comes from the registry too.
            var repository = $"{auth.ServerAddress}/{project}/edge";
            await builder.Images.TagAsync(EdgeImage, repository, "1");
            edge = $"{repository}@{(await builder.Images.PushAsync(repository, "1", auth)).Digest}";
        }

        var stack = new DeployTestStack(builder, docker, project, certs, FreePort(), FreePort(), auth, edge, strategy);
        if (target is not null)
            stack.pushedTags.Add($"{auth.ServerAddress}/{project}/edge:1");
        return stack;
    }

    /// <summary>
    /// The tiny app's nginx configuration (beside <c>app.Dockerfile</c>): a stand-in for the API on port 8080 answering
    /// /health with <paramref name="version"/> (500 unless <paramref name="healthy"/>), /version, and /api/health/*.
    /// </summary>
    public static string AppConfiguration(string version, bool healthy)
    {
        var health = healthy ? $"return 200 '{{\"status\":\"healthy\",\"version\":\"{version}\"}}';" : "return 500 '{\"status\":\"unhealthy\"}';";
        return $$"""
            pid /tmp/app.pid;
            error_log stderr warn;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path /tmp/b; proxy_temp_path /tmp/p; fastcgi_temp_path /tmp/f; uwsgi_temp_path /tmp/u; scgi_temp_path /tmp/s;
                server {
                    listen 8080;
                    default_type application/json;
                    location = /health { {{health}} }
                    location = /version { return 200 '{"version":"{{version}}"}'; }
                    location /api/health/ { return 200 '{"status":"healthy"}'; }
                }
            }
            """;
    }

    /// <summary>Builds the tiny app reporting <paramref name="version"/>, pushes it, and returns its reference by digest.</summary>
    /// <param name="crashes">The release exits at start (its configuration does not parse).</param>
    /// <param name="migrate">A bash script the image carries as its `migrate` command (the release phase's), if any.</param>
    public async Task<string> PushAppAsync(string version, bool healthy = true, bool crashes = false, string? migrate = null)
    {
        var folder = Directory.CreateTempSubdirectory("slipway-app-").FullName;
        try
        {
            File.Copy(RepositoryFiles.PathOf($"{Folder}/app.Dockerfile"), Path.Combine(folder, "Dockerfile"));
            if (migrate is not null)
            {
                var script = Path.Combine(folder, "migrate");
                await File.WriteAllTextAsync(script, "#!/bin/bash\n" + migrate);
                if (!OperatingSystem.IsWindows())
                    File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
                await File.AppendAllTextAsync(Path.Combine(folder, "Dockerfile"), "COPY migrate /usr/local/bin/migrate\n");
            }

            await File.WriteAllTextAsync(Path.Combine(folder, "app.conf"), crashes ? "this release does not start;\n" : AppConfiguration(version, healthy));
            var repository = $"{Auth.ServerAddress}/{Project}/app";
            var tag = version.Replace('+', '-');
            await using (var context = await BuildContext.CreateAsync(folder, "Dockerfile"))
            {
                await Builder.Images.BuildAsync(context.Archive, new ImageBuildParameters
                {
                    Tags = [$"{repository}:{tag}"],
                    BuildArgs = new Dictionary<string, string> { ["BASE"] = "nginx:1.25-alpine" },
                });
            }

            var pushed = await Builder.Images.PushAsync(repository, tag, Auth);
            pushedTags.Add($"{repository}:{tag}");
            return $"{repository}@{pushed.Digest}";
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Adds docker-compose.test-app.database.yml: PostgreSQL (the seeded image, from the registry) on the backend
    /// network only, and the app's DATABASE_URL pointing at it, as the product's compose file has them.
    /// </summary>
    public void AddDatabase()
    {
        Environment = Environment with
        {
            Compose = Environment.Compose with
            {
                Files = [.. Environment.Compose.Files, $"{Folder}/docker-compose.test-app.database.yml"],
                Variables = new Dictionary<string, string>(Environment.Compose.Variables)
                {
                    ["POSTGRES_IMAGE"] = $"{Auth.ServerAddress}/library/postgres:15.4-alpine",
                    ["POSTGRES_PASSWORD"] = "release-" + Project,
                },
            },
        };
    }

    /// <summary>The named volume of docker-compose.test-app.database.yml.</summary>
    public const string DatabaseVolume = "pgdata";

    public DeployRequest Request(string version, string image) =>
        new(Environment, Root, version, image, Auth, new Dictionary<string, string>());

    /// <param name="schema">The schema version the deploy records, as the release phase reports it.</param>
    public Task<DeployResult> DeployAsync(string version, string image, List<string>? log = null, string? schema = null, bool recreateInfrastructure = false)
    {
        void Log(string line)
        {
            lock (log ?? [])
                log?.Add(line);
        }

        // The schema a release phase reports: a command in the new image that prints it, as `migrate` does when done.
        var request = Request(version, image) with
        {
            ReleaseCommand = schema is null ? null : ["bash", "-c", $"echo '{SchemaVersionLine.Format(long.Parse(schema, System.Globalization.CultureInfo.InvariantCulture))}'"],
            RecreateInfrastructure = recreateInfrastructure,
        };
        return Runner(Log).DeployAsync(request);
    }

    /// <summary>A rollback of this stack (the previous release, or <paramref name="toVersion"/>), checked against <paramref name="migrations"/> (default: the repository's).</summary>
    public RollbackRequest RollbackRequest(string? toVersion = null, MigrationSet? migrations = null, bool allowNewerSchema = false) =>
        new(Environment, Root, new Dictionary<string, string>(), Auth, migrations ?? MigrationSet.Load(RepositoryFiles.PathOf("src/Api/Migrations")))
        {
            ToVersion = toVersion,
            AllowNewerSchema = allowNewerSchema,
        };

    public Task<DeployResult> RollbackAsync(string? toVersion = null, List<string>? log = null, MigrationSet? migrations = null, bool allowNewerSchema = false)
    {
        var request = RollbackRequest(toVersion, migrations, allowNewerSchema);
        void Log(string line)
        {
            lock (log ?? [])
                log?.Add(line);
        }

        return Runner(Log).RollbackAsync(request);
    }

    /// <summary>The stack's strategy under its lock and ledger, as the build runs it; <paramref name="log"/> gets its lines.</summary>
    public ReleaseRunner Runner(Action<string>? log = null) => ReleaseRunner.For(Docker, Environment, Auth, log ?? (_ => { }));

    /// <summary>What serves the stack now, read as a rollback reads it.</summary>
    public Task<ServingRelease?> ServingAsync() =>
        Runner().ServingAsync();

    /// <summary>Containers of this stack that are running, by name.</summary>
    public async Task<IReadOnlyList<string>> RunningAsync(string? service = null)
    {
        var labels = new List<string> { $"{StackContainersLabel}={Environment.Names.Stack}" };
        if (service is not null)
            labels.Add($"org.slipway.service={service}");
        return (await Docker.Containers.ListAsync(labels)).Where(c => c.State == "running").Select(c => c.Name).Order().ToArray();
    }

    private const string StackContainersLabel = "org.slipway.stack";

    public HttpClient Client() => Slipway.Delivery.Deployment.SmokeTests.SmokeTester.CreateClient(Environment.TrustedCaFile);

    public async ValueTask DisposeAsync()
    {
        var names = Environment.Names;
        if (Environment.Strategy == DeployStrategy.Swarm && (await Docker.Swarm.NodeAsync()).IsManager)
        {
            foreach (var service in await Docker.Services.ListAsync([$"{StackContainersLabel}={names.Stack}"]))
                await Ignore(() => Docker.Services.RemoveAsync(service.ID));
        }

        foreach (var container in await Docker.Containers.ListAsync([$"{StackContainersLabel}={names.Stack}"]))
            await Ignore(() => Docker.Containers.RemoveAsync(container.Id, force: true, volumes: true));
        foreach (var name in new[] { names.Lock, names.LedgerContainer })
            await Ignore(() => Docker.Containers.RemoveAsync(name, force: true));
        await Ignore(() => Docker.Volumes.RemoveAsync(names.LedgerVolume, force: true));
        foreach (var volume in new[] { "nginx-upstreams", ProxyReleases.Volume, DatabaseVolume })
            await Ignore(() => Docker.Volumes.RemoveAsync(names.Volume(volume), force: true));
        foreach (var network in new[] { "edge", "backend" })
            await Ignore(() => Docker.Networks.RemoveAsync(names.Network(network)));
        foreach (var tag in pushedTags)
            await Ignore(() => Builder.Images.RemoveAsync(tag, force: true));
        Directory.Delete(certs, recursive: true);
        if (!ReferenceEquals(Docker, Builder))
            Docker.Dispose();
        Builder.Dispose();
    }

    private static async Task Ignore(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (DockerApiException)
        {
        }
    }

    private static async Task EnsureEdgeImageAsync(DockerClient docker)
    {
        await EdgeGate.WaitAsync();
        try
        {
            await BuildEdgeAsync(docker, RepositoryFiles.PathOf("nginx"), RepositoryFiles.PathOf("docker/nginx.Dockerfile"), EdgeImage);
        }
        finally
        {
            EdgeGate.Release();
        }
    }

    /// <summary>Builds the edge image as BuildImages does: on the seeded nginx base, labelled with its runtime (base id and Dockerfile).</summary>
    private static async Task BuildEdgeAsync(DockerClient docker, string folder, string dockerfile, string tag)
    {
        const string nginxBase = "nginx:1.25-alpine";
        var baseId = (await docker.Images.InspectAsync(nginxBase)).Id;
        await using var context = await BuildContext.CreateAsync(folder, dockerfile);
        await docker.Images.BuildAsync(context.Archive, new ImageBuildParameters
        {
            Tags = [tag],
            Dockerfile = context.Dockerfile,
            BuildArgs = new Dictionary<string, string> { ["NGINX_BASE"] = nginxBase },
            Labels = new Dictionary<string, string>
            {
                [Slipway.Delivery.Images.ImageBuilder.RuntimeLabel] = Slipway.Delivery.Images.ImageBuilder.Runtime(new Dictionary<string, string> { ["NGINX_BASE"] = baseId }, await File.ReadAllTextAsync(dockerfile)),
            },
        });
    }

    /// <summary>
    /// A new commit's edge image, as a real release changes it: nginx/ with the release's header added to every answer
    /// (X-Edge-Release) and its landing page changed; <paramref name="dockerfileLine"/> also changes the runtime.
    /// Pushed to the registry; returns its reference by digest.
    /// </summary>
    /// <param name="withoutSecurityHeaders">A broken release: its nginx configuration loads, but answers without the security headers.</param>
    public async Task<string> PushEdgeAsync(string release, string? dockerfileLine = null, bool withoutSecurityHeaders = false)
    {
        var folder = Directory.CreateTempSubdirectory("slipway-edge-").FullName;
        try
        {
            var source = RepositoryFiles.PathOf("nginx");
            foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories).Where(f => !Path.GetRelativePath(source, f).StartsWith("certs", StringComparison.Ordinal)))
            {
                var target = Path.Combine(folder, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }

            var headers = Path.Combine(folder, "snippets/security-headers.conf");
            if (withoutSecurityHeaders)
                File.Delete(headers);
            await File.AppendAllTextAsync(headers, $"add_header X-Edge-Release \"{release}\" always;\n");
            await File.AppendAllTextAsync(Path.Combine(folder, "landing/index.html"), $"<!-- edge release {release} -->\n");
            var dockerfile = Path.Combine(folder, "Dockerfile.edge");
            await File.WriteAllTextAsync(dockerfile, await File.ReadAllTextAsync(RepositoryFiles.PathOf("docker/nginx.Dockerfile")) + (dockerfileLine is null ? "" : dockerfileLine + "\n"));
            var repository = $"{Auth.ServerAddress}/{Project}/edge";
            await BuildEdgeAsync(Builder, folder, dockerfile, $"{repository}:{release}");
            var pushed = await Builder.Images.PushAsync(repository, release, Auth);
            pushedTags.Add($"{repository}:{release}");
            return $"{repository}@{pushed.Digest}";
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The next deploys use this edge image, as a new commit's NGINX_IMAGE.</summary>
    public void UseEdge(string image) => Environment = Environment with
    {
        Compose = Environment.Compose with { Variables = new Dictionary<string, string>(Environment.Compose.Variables) { ["NGINX_IMAGE"] = image } },
    };

    private static string EdgeContentHash()
    {
        var root = RepositoryFiles.PathOf("nginx");
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(root, f).StartsWith("certs", StringComparison.Ordinal))
            .Append(RepositoryFiles.PathOf("docker/nginx.Dockerfile"))
            .Order(StringComparer.Ordinal);
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(root, file) + "\0"));
            hash.AppendData(File.ReadAllBytes(file));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..12];
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A free UDP port below the ephemeral range (a swarm's data path port must be in 1024-49151).</summary>
    internal static int FreeUdpPort()
    {
        while (true)
        {
            var port = Random.Shared.Next(20000, 49151);
            try
            {
                using var socket = new UdpClient(new IPEndPoint(IPAddress.Any, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }
    }

    private static async Task RunAsync(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}");
    }
}
