using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Images;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Tests.Deployment.TestStack;

/// <summary>
/// A copy of this repository (its tracked and new files as they are in the working tree) committed to a git repository
/// of its own, in which a test runs the real build (_build.dll, as ./build.sh runs it) for one of the repository's
/// environment files. That file is deployed as it is, but for what must be unique on a shared host: the project name
/// (so every service, network, volume, lock and ledger is this workspace's), the nginx ports, the test registry
/// (address, user, and the password in the file's own variable), and "bootstrap": the engine and the registry are the
/// test's, and Setup (LocalSetupTests) would seed the base images into the test's engine anew, re-pushing them to the
/// shared test registry other tests pull from. Everything it made on the engine is removed on dispose.
/// </summary>
internal sealed class RepositoryWorkspace : IAsyncDisposable
{
    private RepositoryWorkspace(string root, EnvironmentName environment, DockerEndpoint engine, string project, int httpsPort)
    {
        Root = root;
        Environment = EnvironmentFile.Load(root, environment);
        Engine = engine;
        Docker = new DockerClient(engine);
        Marker = "t" + project[1..];
        HttpsPort = httpsPort;
    }

    public string Root { get; }

    /// <summary>The environment file as the build reads it.</summary>
    public DeployEnvironment Environment { get; private set; }

    public StackNames Names => Environment.Names;

    public DockerEndpoint Engine { get; }

    public DockerClient Docker { get; }

    public int HttpsPort { get; }

    /// <summary>In every version this workspace releases, so its image tags are told from everyone else's.</summary>
    public string Marker { get; }

    public string Version(string release) => $"{release}-{Marker}";

    public static async Task<RepositoryWorkspace> CreateAsync(EnvironmentName environment, DockerEndpoint engine)
    {
        var root = Directory.CreateTempSubdirectory("slipway-repository-").FullName;
        var files = (await GitAsync(RepositoryFiles.Root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        foreach (var file in files.Where(f => File.Exists(Path.Combine(RepositoryFiles.Root, f))))
        {
            var target = Path.Combine(root, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(RepositoryFiles.Root, file), target);
        }

        // Setup makes them for a bootstrapped environment; made here with the folder nginx (uid 101) can enter.
        var certs = Directory.CreateDirectory(Path.Combine(root, "nginx/certs")).FullName;
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(certs, (UnixFileMode)0b111_101_101);
        await RunAsync(root, "bash", "nginx/gen-certs.sh", certs);

        var project = "w" + Guid.NewGuid().ToString("N")[..8];
        var (http, https) = (DeployTestStack.FreePort(), DeployTestStack.FreePort());
        var registry = RealServers.Registry!;
        await EditEnvironmentAsync(root, environment, file =>
        {
            file["project"] = project;
            file["bootstrap"] = false;
            file["publicUrl"] = $"https://localhost:{https}";
            file["registry"]!["address"] = registry;
            file["registry"]!["user"] = RealServers.RegistryUser;
            var variables = file["compose"]!["variables"]!;
            variables["NGINX_HTTP_PORT"] = http.ToString(CultureInfo.InvariantCulture);
            variables["NGINX_HTTPS_PORT"] = https.ToString(CultureInfo.InvariantCulture);
            variables["IMAGE_MIRROR"] = registry;
        });
        var parameters = Path.Combine(root, $".nuke/parameters.{environment.Id()}.json");
        if (File.Exists(parameters))
            await File.WriteAllTextAsync(parameters, new JsonObject { ["ImageMirror"] = registry }.ToJsonString());

        await GitAsync(root, "init", "-q");
        var workspace = new RepositoryWorkspace(root, environment, engine, project, https);
        await workspace.CommitAsync("the repository");
        return workspace;
    }

    /// <summary>Changes the environment file (a release's configuration change); commit to release it.</summary>
    public async Task EditEnvironmentAsync(Action<JsonNode> edit)
    {
        await EditEnvironmentAsync(Root, Environment.Name, edit);
        Environment = EnvironmentFile.Load(Root, Environment.Name);
    }

    /// <summary>Writes a file of the workspace, relative to its root.</summary>
    public Task WriteAsync(string file, string content) => File.WriteAllTextAsync(Path.Combine(Root, file), content);

    public string Read(string file) => File.ReadAllText(Path.Combine(Root, file));

    /// <summary>A new commit of everything in the workspace; returns its short hash (as in the release's version).</summary>
    public async Task<string> CommitAsync(string message)
    {
        await GitAsync(Root, "add", "-A");
        await GitAsync(Root, "-c", "user.name=slipway-tests", "-c", "user.email=tests@slipway.invalid", "commit", "-q", "--allow-empty", "-m", message);
        return (await GitAsync(Root, "rev-parse", "HEAD")).Trim()[..7];
    }

    /// <summary>./build.sh &lt;arguments&gt; --environment &lt;this environment&gt; on the engine, not as a CI build.</summary>
    public Task<BuildOutput> RunAsync(params string[] arguments) =>
        // A guard against a hung build, not a measure: the first build of the API image takes minutes.
        BuildOutput.RunAsync(Root, [.. arguments, "--environment", Environment.Name.Id()],
            new Dictionary<string, string> { ["DOCKER_HOST"] = Engine.Address, [Environment.Registry.PasswordVariable!] = RealServers.RegistryPassword! },
            TimeSpan.FromMinutes(25));

    /// <summary>The swarm services of this workspace's stack, by service name (api, nginx, ...).</summary>
    public async Task<IReadOnlyDictionary<string, ServiceInspect>> ServicesAsync()
    {
        var services = new Dictionary<string, ServiceInspect>(StringComparer.Ordinal);
        foreach (var service in await Docker.Services.ListAsync([$"{NamespaceLabel}={Names.Stack}"]))
            services[service.Name[(Names.Stack.Length + 1)..]] = service;
        return services;
    }

    /// <summary>The ids of the running task containers of one service.</summary>
    public async Task<IReadOnlyList<string>> TaskContainersAsync(string service) =>
        (await Docker.Containers.ListAsync([$"com.docker.swarm.service.name={Names.SwarmService(service)}"]))
            .Where(c => c.State == "running").Select(c => c.Id).Order(StringComparer.Ordinal).ToArray();

    private const string NamespaceLabel = "com.docker.stack.namespace";

    public async ValueTask DisposeAsync()
    {
        if ((await Docker.Swarm.NodeAsync()).IsManager)
        {
            foreach (var service in await Docker.Services.ListAsync([$"{NamespaceLabel}={Names.Stack}"]))
                await Ignore(() => Docker.Services.RemoveAsync(service.ID));
            // The tasks' containers go away after their services; their volumes and networks can go only then.
            for (var wait = 0; wait < 120 && (await Docker.Containers.ListAsync([])).Any(c => c.Name.StartsWith(Names.Stack + "_", StringComparison.Ordinal)); wait++)
                await Task.Delay(500);
            foreach (var config in await Docker.Configs.ListAsync([$"{NamespaceLabel}={Names.Stack}"]))
                await Ignore(() => Docker.Configs.RemoveAsync(config.ID));
        }

        foreach (var name in new[] { Names.Lock, Names.LedgerContainer })
            await Ignore(() => Docker.Containers.RemoveAsync(name, force: true));
        foreach (var volume in (await Docker.Volumes.ListAsync(Names.Project)).Where(v => v.Name.StartsWith(Names.Project + "-", StringComparison.Ordinal)))
            await Ignore(() => Docker.Volumes.RemoveAsync(volume.Name, force: true));
        foreach (var network in (await Docker.Networks.ListAsync(Names.Project)).Where(n => n.Name.StartsWith(Names.Project + "-", StringComparison.Ordinal)))
            await Ignore(() => Docker.Networks.RemoveAsync(network.Id));
        foreach (var image in (await Docker.Images.ListAsync()).Where(i => (i.RepoTags ?? []).Any(t => t.Contains(Marker, StringComparison.Ordinal))))
            await Ignore(() => Docker.Images.RemoveAsync(image.Id, force: true));
        Docker.Dispose();
        Directory.Delete(Root, recursive: true);
    }

    private static async Task EditEnvironmentAsync(string root, EnvironmentName environment, Action<JsonNode> edit)
    {
        var path = Path.Combine(root, EnvironmentFile.Folder, $"{environment.Id()}.json");
        var file = JsonNode.Parse(await File.ReadAllTextAsync(path), documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!;
        edit(file);
        await File.WriteAllTextAsync(path, file.ToJsonString(new() { WriteIndented = true }));
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

    private static Task<string> GitAsync(string directory, params string[] arguments) => RunAsync(directory, "git", arguments);

    private static async Task<string> RunAsync(string directory, string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}");
        return stdout;
    }
}
