using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Images;
using Slipway.Tools.Docker;
using Slipway.Tools.Processes;
using Slipway.Tools.Registry;

namespace Slipway.Delivery.Environments;

/// <summary>What <see cref="LocalSetup"/> left ready: the engine to use and the registry's credentials.</summary>
public sealed record SetupResult(DockerEndpoint Engine, RegistryCredentials Registry);

/// <summary>
/// Like <c>kamal setup</c>, for an environment with <c>bootstrap: true</c>. It converges: each step checks the
/// real state and does only what is missing, so a run killed at any moment is completed by the next one:
/// Debian packages (docker/scripts/requirements.txt), an engine that answers (else a private one under
/// .nuke/temp/engine), a registry that answers and accepts our credentials (else a local one), every base image
/// of docker/base-images.json in the registry (else seeded from Debian packages), nginx's certificates valid for
/// 30 more days. One line per step (seeding's progress shown by <paramref name="progress"/>, by default not at all).
/// <c>./build.sh Down</c> stops what it started.
/// </summary>
public sealed class LocalSetup(DeployEnvironment environment, string root, Func<string, string?> variable, Action<string> log, ProgressDisplay? progress = null)
{
    public const string EngineFolder = ".nuke/temp/engine";
    public const string RegistryFolder = ".nuke/temp/registry";
    public const string RootfsFolder = ".nuke/temp/rootfs";

    private static readonly TimeSpan CertificateMargin = TimeSpan.FromDays(30);

    public static DockerEndpoint PrivateEngine(string root) =>
        DockerEndpoint.Parse("unix://" + Path.Combine(root, EngineFolder, "docker.sock"));

    /// <summary>
    /// The engine that answers, starting nothing: the environment's (DOCKER_HOST or docker.host), else, for a
    /// bootstrapped environment, the private engine Setup started. Targets that only read use this.
    /// </summary>
    public static async Task<DockerEndpoint> FindEngineAsync(DeployEnvironment environment, string root, Func<string, string?> variable, CancellationToken ct = default) =>
        await AnsweringEngineAsync(environment, root, variable, ct).ConfigureAwait(false)
        ?? throw new DeployFailedException(environment.Bootstrap
            ? $"no Docker engine answers at {environment.Docker.Resolve(variable)} nor at the private engine {PrivateEngine(root)}: run ./build.sh Setup"
            : $"Docker engine not reachable at {environment.Docker.Resolve(variable)} for {environment.Names.Environment}: start it, or fix docker.host in {environment.SourceFile}");

    /// <summary>The environment's engine if it answers, else (bootstrapped environments) the private one if it answers, else null.</summary>
    private static async Task<DockerEndpoint?> AnsweringEngineAsync(DeployEnvironment environment, string root, Func<string, string?> variable, CancellationToken ct)
    {
        var configured = environment.Docker.Resolve(variable);
        if (await AnswersAsync(configured, ct).ConfigureAwait(false))
            return configured;
        return environment.Bootstrap && await AnswersAsync(PrivateEngine(root), ct).ConfigureAwait(false) ? PrivateEngine(root) : null;
    }

    /// <summary>The registry's credentials without starting anything: the environment's variable, else the local registry's password file.</summary>
    public static RegistryCredentials RegistryCredentials(DeployEnvironment environment, string root, Func<string, string?> variable)
    {
        var registry = environment.Registry;
        if (registry.PasswordVariable is { } name && variable(name) is { Length: > 0 } password)
            return new RegistryCredentials(registry.Address, registry.User!, password);
        var passwordFile = Path.Combine(root, RegistryFolder, "password");
        if (environment.Bootstrap && File.Exists(passwordFile))
            return new RegistryCredentials(registry.Address, registry.User!, File.ReadAllText(passwordFile).Trim());
        throw new DeployFailedException(environment.Bootstrap
            ? $"the local registry {registry.Address} has no password yet: run ./build.sh Setup"
            : $"the password for registry {registry.Address} is not set: export {registry.PasswordVariable} from your secret store");
    }

    public async Task<SetupResult> RunAsync(CancellationToken ct = default)
    {
        var engine = await AnsweringEngineAsync(environment, root, variable, ct).ConfigureAwait(false);
        await EnsurePackagesAsync(needEngine: engine is null && ProcessRunner.Resolve("dockerd") is null, ct).ConfigureAwait(false);
        engine ??= await StartEngineAsync(ct).ConfigureAwait(false);
        log($"engine: {engine} answers");
        var credentials = await EnsureRegistryAsync(engine, ct).ConfigureAwait(false);
        await EnsureBaseImagesAsync(engine, credentials, ct).ConfigureAwait(false);
        await EnsureCertificatesAsync(ct).ConfigureAwait(false);
        return new SetupResult(engine, credentials);
    }

    private async Task EnsurePackagesAsync(bool needEngine, CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux() || ProcessRunner.Resolve("dpkg-query") is null)
        {
            log("packages: not a Debian machine; the steps below say what they need");
            return;
        }

        string[] purposes = needEngine ? ["engine", "setup"] : ["setup"];
        var installed = false;
        await RunScriptAsync("docker/scripts/install.sh", purposes, new Dictionary<string, string?>(), TimeSpan.FromMinutes(15), ct, line =>
        {
            installed = true;
            log($"packages: {line}");
        }).ConfigureAwait(false);
        if (!installed)
            log("packages: all present (docker/scripts/requirements.txt)");
    }

    private async Task<DockerEndpoint> StartEngineAsync(CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux())
            throw new DeployFailedException($"Docker engine not reachable at {environment.Docker.Resolve(variable)}: start Docker Desktop (the private engine is for Linux)");
        await RunScriptAsync("docker/scripts/engine.sh", ["start"], new Dictionary<string, string?> { ["SLIPWAY_ENGINE_DIR"] = Path.Combine(root, EngineFolder) },
            TimeSpan.FromMinutes(2), ct, log).ConfigureAwait(false);
        log($"engine: started a private engine (state in {EngineFolder}; ./build.sh Down stops it)");
        return PrivateEngine(root);
    }

    private async Task<RegistryCredentials> EnsureRegistryAsync(DockerEndpoint engine, CancellationToken ct)
    {
        var registry = environment.Registry;
        var access = await RegistryAccessAsync(ct).ConfigureAwait(false);
        if (access == HttpStatusCode.ServiceUnavailable)
        {
            if (!registry.Address.StartsWith("127.0.0.1:", StringComparison.Ordinal))
                throw new DeployFailedException($"registry {registry.Address} does not answer: start it, or fix registry.address in {environment.SourceFile}");
            await RunScriptAsync("docker/scripts/registry.sh", ["start"], new Dictionary<string, string?>
            {
                ["SLIPWAY_REGISTRY_DIR"] = Path.Combine(root, RegistryFolder),
                ["SLIPWAY_REGISTRY_ADDR"] = registry.Address,
                ["SLIPWAY_REGISTRY_USER"] = registry.User,
                ["SLIPWAY_REGISTRY_PASSWORD"] = registry.PasswordVariable is { } name ? variable(name) : null,
                ["DOCKER_HOST"] = engine.Address,
            }, TimeSpan.FromMinutes(1), ct, log).ConfigureAwait(false);
            access = await RegistryAccessAsync(ct).ConfigureAwait(false);
        }

        if (access != HttpStatusCode.OK)
            throw new DeployFailedException($"registry {registry.Address} refuses user {registry.User} with the password of {(registry.PasswordVariable is { } v && variable(v) is { Length: > 0 } ? v : Path.Combine(RegistryFolder, "password"))}: " +
                                            "fix the password, or stop that registry (./build.sh Down) and run ./build.sh Setup again");
        log($"registry: {registry.Address} answers and accepts user {registry.User}");
        return RegistryCredentials(environment, root, variable);
    }

    /// <summary>OK when the registry accepts our credentials, Unauthorized when it refuses them, ServiceUnavailable when it does not answer.</summary>
    private async Task<HttpStatusCode> RegistryAccessAsync(CancellationToken ct)
    {
        RegistryCredentials? credentials = null;
        try
        {
            credentials = RegistryCredentials(environment, root, variable);
        }
        catch (DeployFailedException)
        {
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ImageReference.RegistryBaseUri(environment.Registry.Address), "v2/"));
        if (credentials is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials.BasicAuthorization);
        try
        {
            using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
            return response.StatusCode == HttpStatusCode.OK ? HttpStatusCode.OK : HttpStatusCode.Unauthorized;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return HttpStatusCode.ServiceUnavailable;
        }
    }

    private async Task EnsureBaseImagesAsync(DockerEndpoint engine, RegistryCredentials credentials, CancellationToken ct)
    {
        var catalog = BaseImageCatalog.Load(Path.Combine(root, BaseImageCatalog.DefaultPath));
        var missing = await MissingBaseImagesAsync(catalog, credentials, ct).ConfigureAwait(false);
        var stamp = Path.Combine(root, RootfsFolder, $"seeded-{credentials.Server.Replace(':', '-')}.sha");
        var recipe = SeedRecipe();
        var stale = missing.Count == 0 && (!File.Exists(stamp) || File.ReadAllText(stamp) != recipe);
        if (missing.Count > 0 || stale)
        {
            var why = stale
                ? $"base images: the seed recipe or the SDK image's offline packages changed since {credentials.Server} was seeded: reseeding (seconds when little changed)"
                : $"base images: {string.Join(", ", missing)} not in {credentials.Server}: seeding them from Debian packages (a few minutes the first time; resumes if interrupted)";
            // The script's "seed: ..." lines are its progress.
            await (progress ?? PlainProgress.Through(log))(why,
                events => RunScriptAsync("docker/scripts/seed-base-images.sh", [], new Dictionary<string, string?>
                {
                    ["DOCKER_HOST"] = engine.Address,
                    ["SLIPWAY_TEST_REGISTRY"] = credentials.Server,
                    ["SLIPWAY_TEST_REGISTRY_USER"] = credentials.User,
                    ["SLIPWAY_TEST_REGISTRY_PASSWORD"] = credentials.Password,
                    ["SLIPWAY_ROOTFS_CACHE"] = Path.Combine(root, RootfsFolder),
                }, TimeSpan.FromMinutes(20), ct, events.Report)).ConfigureAwait(false);
            missing = await MissingBaseImagesAsync(catalog, credentials, ct).ConfigureAwait(false);
            if (missing.Count > 0)
                throw new DeployFailedException($"base images {string.Join(", ", missing)} are still not in {credentials.Server} after seeding: see {RootfsFolder}/*.log");
            File.WriteAllText(stamp, recipe);
        }

        log($"base images: all {catalog.Names.Count()} of {BaseImageCatalog.DefaultPath} in {credentials.Server}");
    }

    /// <summary>
    /// What the seeded images are made of, short of running the script: its recipes, the pinned references, the host's
    /// .NET (copied into the SDK and ASP.NET images) and the packages the SDK image's offline feed must hold for src/Api.
    /// A change reseeds, which the script does in seconds for the images whose recipe did not change.
    /// </summary>
    private string SeedRecipe()
    {
        var inputs = new[] { "docker/scripts/seed-base-images.sh", BaseImageCatalog.DefaultPath, "src/Api/Api.csproj", "src/Slipway.Migrations/Slipway.Migrations.csproj", "Directory.Packages.props" }
            .Select(file => Path.Combine(root, file))
            .Where(File.Exists)
            .Select(File.ReadAllText)
            .Append(System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\0', inputs))));
    }

    private static async Task<List<string>> MissingBaseImagesAsync(BaseImageCatalog catalog, RegistryCredentials credentials, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var registry = new RegistryClient(http);
        var missing = new List<string>();
        foreach (var name in catalog.Names)
        {
            var mirrored = catalog.Resolve(name, credentials.Server);
            var path = mirrored[(credentials.Server.Length + 1)..];
            var colon = path.LastIndexOf(':');
            if (await registry.GetManifestDigestAsync(new ImageReference(credentials.Server, path[..colon], path[(colon + 1)..]), credentials, ct).ConfigureAwait(false) is null)
                missing.Add(name);
        }

        return missing;
    }

    private async Task EnsureCertificatesAsync(CancellationToken ct)
    {
        var server = Path.Combine(root, "nginx/certs/server.crt");
        if (File.Exists(server) && File.Exists(Path.Combine(root, "nginx/certs/ca.crt")) &&
            X509CertificateLoader.LoadCertificateFromFile(server).NotAfter > DateTime.Now + CertificateMargin)
        {
            log("certificates: nginx/certs valid for 30 more days at least");
            return;
        }

        await RunScriptAsync("nginx/gen-certs.sh", ["--force"], new Dictionary<string, string?>(), TimeSpan.FromMinutes(1), ct, _ => { }).ConfigureAwait(false);
        log("certificates: made a local CA and a server certificate in nginx/certs (trust nginx/certs/ca.crt to browse without warnings)");
    }

    /// <summary>Stops the private engine and local registry that Setup started (by their pid files).</summary>
    public static async Task DownAsync(string root, Action<string> log, CancellationToken ct = default)
    {
        await RunAsync(root, "docker/scripts/registry.sh", ["stop"], new Dictionary<string, string?> { ["SLIPWAY_REGISTRY_DIR"] = Path.Combine(root, RegistryFolder) },
            TimeSpan.FromMinutes(1), ct, _ => { }).ConfigureAwait(false);
        log("registry: stopped (if it was running)");
        await RunAsync(root, "docker/scripts/engine.sh", ["stop"], new Dictionary<string, string?> { ["SLIPWAY_ENGINE_DIR"] = Path.Combine(root, EngineFolder) },
            TimeSpan.FromMinutes(1), ct, _ => { }).ConfigureAwait(false);
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

    private Task RunScriptAsync(string script, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environmentVariables, TimeSpan timeout, CancellationToken ct, Action<string> onStdout) =>
        RunAsync(root, script, arguments, environmentVariables, timeout, ct, onStdout);

    /// <summary>Runs one of the repository's scripts; its stdout lines go to <paramref name="onStdout"/>, and a failure is one line from its stderr.</summary>
    private static async Task RunAsync(string root, string script, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environmentVariables, TimeSpan timeout, CancellationToken ct, Action<string> onStdout)
    {
        var errors = new StringBuilder();
        try
        {
            await ProcessRunner.RunAsync("bash", [Path.Combine(root, script), .. arguments], new ProcessOptions
            {
                WorkingDirectory = root,
                Environment = environmentVariables,
                Timeout = timeout,
                OnOutput = line =>
                {
                    if (line.Stream == OutputStream.StandardError)
                        errors.AppendLine(line.Text);
                    else
                        onStdout(line.Text);
                },
            }, ct).ConfigureAwait(false);
        }
        catch (ProcessFailedException e)
        {
            // The scripts name themselves (or say "error:") in the line that explains a failure; other lines are tools' chatter.
            var lines = errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var name = Path.GetFileNameWithoutExtension(script);
            var said = lines.LastOrDefault(l => l.StartsWith(name, StringComparison.Ordinal) || l.StartsWith("error:", StringComparison.Ordinal)) ?? lines.LastOrDefault();
            throw new DeployFailedException($"{script} failed: {said ?? e.Message}");
        }
    }
}
