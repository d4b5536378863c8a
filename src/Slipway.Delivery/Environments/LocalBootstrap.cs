using System.Net;
using Slipway.Delivery.Deployment;
using Slipway.Tools.Docker;
using Slipway.Tools.Processes;

namespace Slipway.Delivery.Environments;

/// <summary>
/// Like <c>kamal setup</c> for the local environment: when no engine answers (on Linux), install
/// Debian's docker.io if missing (only as root) and start a private engine whose state lives under
/// .nuke/temp/engine and outlives the build; when the local registry does not answer, start it and
/// seed the base-image mirror. One log line per step. <c>./build.sh Down</c> stops what it started.
/// </summary>
public static class LocalBootstrap
{
    public const string EngineFolder = ".nuke/temp/engine";
    public const string RegistryFolder = ".nuke/temp/registry";

    public static DockerEndpoint PrivateEngine(string root) =>
        DockerEndpoint.Parse("unix://" + Path.Combine(root, EngineFolder, "docker.sock"));

    /// <summary>The environment's engine, bootstrapped when allowed and needed.</summary>
    public static async Task<DockerEndpoint> EnsureEngineAsync(DeployEnvironment environment, string root, Func<string, string?> variable, Action<string> log, CancellationToken ct = default)
    {
        var configured = environment.Docker.Resolve(variable);
        if (await AnswersAsync(configured, ct).ConfigureAwait(false))
            return configured;
        if (!environment.Bootstrap)
            throw new DeployFailedException($"Docker engine not reachable at {configured} for {environment.Names.Environment}: start it, or fix docker.host in {environment.SourceFile}");
        var privateEngine = PrivateEngine(root);
        if (await AnswersAsync(privateEngine, ct).ConfigureAwait(false))
        {
            log($"engine: using the private engine at {privateEngine} ({configured} does not answer)");
            return privateEngine;
        }

        if (!OperatingSystem.IsLinux())
            throw new DeployFailedException($"Docker engine not reachable at {configured}: start Docker Desktop (the private engine bootstrap is for Linux)");
        if (ProcessRunner.Resolve("dockerd") is null)
        {
            if (Environment.UserName != "root")
                throw new DeployFailedException("no Docker engine and dockerd is not installed: run `sudo apt-get install docker.io` (or start Docker), then deploy again");
            log("engine: installing Debian's docker.io with apt-get (running as root)");
            await RunAsync("apt-get", ["install", "-y", "--no-install-recommends", "docker.io"], root, new Dictionary<string, string?> { ["DEBIAN_FRONTEND"] = "noninteractive" }, TimeSpan.FromMinutes(10), ct).ConfigureAwait(false);
        }

        await RunAsync("bash", [Path.Combine(root, "docker/scripts/engine.sh"), "start"], root,
            new Dictionary<string, string?> { ["SLIPWAY_ENGINE_DIR"] = Path.Combine(root, EngineFolder) }, TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
        log($"engine: started a private engine at {privateEngine} (state in {EngineFolder}; ./build.sh Down stops it)");
        return privateEngine;
    }

    /// <summary>
    /// The registry password: from the environment variable the environment file names, else (local
    /// bootstrap) the one the local registry keeps. Starts and seeds the local registry when it does not answer.
    /// </summary>
    public static async Task<string> EnsureRegistryAsync(DeployEnvironment environment, string root, DockerEndpoint engine, Func<string, string?> variable, Action<string> log, CancellationToken ct = default)
    {
        var registry = environment.Registry;
        var passwordFile = Path.Combine(root, RegistryFolder, "password");
        if (!await RegistryAnswersAsync(registry.Address, ct).ConfigureAwait(false))
        {
            if (!environment.Bootstrap || !registry.Address.StartsWith("127.0.0.1:", StringComparison.Ordinal))
                throw new DeployFailedException($"registry {registry.Address} does not answer: start it, or fix registry.address in {environment.SourceFile}");
            var scripts = new Dictionary<string, string?>
            {
                ["SLIPWAY_REGISTRY_DIR"] = Path.Combine(root, RegistryFolder),
                ["SLIPWAY_REGISTRY_ADDR"] = registry.Address,
                ["SLIPWAY_REGISTRY_USER"] = registry.User,
                ["SLIPWAY_REGISTRY_PASSWORD"] = registry.PasswordVariable is { } name ? variable(name) : null,
                ["SLIPWAY_TEST_REGISTRY"] = registry.Address,
                ["SLIPWAY_TEST_REGISTRY_USER"] = registry.User,
                ["DOCKER_HOST"] = engine.Address,
            };
            await RunAsync("bash", [Path.Combine(root, "docker/scripts/registry.sh"), "start"], root, scripts, TimeSpan.FromMinutes(1), ct).ConfigureAwait(false);
            log($"registry: started the local registry at {registry.Address} (state in {RegistryFolder})");
            scripts["SLIPWAY_TEST_REGISTRY_PASSWORD"] = File.ReadAllText(passwordFile).Trim();
            log("registry: seeding the base-image mirror from Debian packages (no public registry; about 5 minutes the first time)");
            await RunAsync("bash", [Path.Combine(root, "docker/scripts/seed-base-images.sh")], root, scripts, TimeSpan.FromMinutes(15), ct).ConfigureAwait(false);
            log("registry: base-image mirror seeded from Debian packages");
        }

        if (registry.PasswordVariable is { } variableName && variable(variableName) is { Length: > 0 } password)
            return password;
        if (environment.Bootstrap && File.Exists(passwordFile))
            return File.ReadAllText(passwordFile).Trim();
        throw new DeployFailedException($"the password for registry {registry.Address} is not set: export {registry.PasswordVariable} from your secret store");
    }

    /// <summary>The local CA and server certificate nginx serves (nginx/certs), made once and kept while valid.</summary>
    public static async Task EnsureCertificatesAsync(string root, Action<string> log, CancellationToken ct = default)
    {
        if (File.Exists(Path.Combine(root, "nginx/certs/server.crt")))
            return;
        await RunAsync("bash", [Path.Combine(root, "nginx/gen-certs.sh")], root, new Dictionary<string, string?>(), TimeSpan.FromMinutes(1), ct).ConfigureAwait(false);
        log("certificates: made a local CA and a server certificate in nginx/certs (trust nginx/certs/ca.crt to browse without warnings)");
    }

    /// <summary>Stops the private engine and local registry this machine's bootstrap started (by their pid files).</summary>
    public static async Task DownAsync(string root, Action<string> log, CancellationToken ct = default)
    {
        await RunAsync("bash", [Path.Combine(root, "docker/scripts/registry.sh"), "stop"], root,
            new Dictionary<string, string?> { ["SLIPWAY_REGISTRY_DIR"] = Path.Combine(root, RegistryFolder) }, TimeSpan.FromMinutes(1), ct).ConfigureAwait(false);
        log("registry: stopped (if it was running)");
        await RunAsync("bash", [Path.Combine(root, "docker/scripts/engine.sh"), "stop"], root,
            new Dictionary<string, string?> { ["SLIPWAY_ENGINE_DIR"] = Path.Combine(root, EngineFolder) }, TimeSpan.FromMinutes(1), ct).ConfigureAwait(false);
        log($"engine: private engine stopped (its state stays in {EngineFolder})");
    }

    private static async Task<bool> AnswersAsync(DockerEndpoint endpoint, CancellationToken ct)
    {
        using var docker = new DockerClient(endpoint);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await docker.System.PingAsync(timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is DockerEngineUnreachableException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task<bool> RegistryAnswersAsync(string address, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await http.GetAsync(new Uri($"http://{address}/v2/"), ct).ConfigureAwait(false);
            return response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task RunAsync(string tool, IReadOnlyList<string> arguments, string root, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            await ProcessRunner.RunAsync(tool, arguments, new ProcessOptions { WorkingDirectory = root, Environment = environment, Timeout = timeout }, ct).ConfigureAwait(false);
        }
        catch (ProcessFailedException e)
        {
            throw new DeployFailedException($"{Path.GetFileName(arguments.FirstOrDefault() ?? tool)} failed: {e.Message}");
        }
    }
}
