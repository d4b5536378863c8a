using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Text.Json;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Database;
using Slipway.Delivery.Tests.Images;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Tests.Deployment.TestStack;

/// <summary>
/// A repository of its own that a test runs the real, compiled build in (_build.dll, as ./build.sh runs it): build-workspace/
/// with the repository's nginx/, docker/nginx.Dockerfile and API migrations, committed to git. Its local environment
/// deploys a stack with a unique project name and free ports on the test engine, pushes to a <see cref="PrivateRegistry"/>
/// and migrates a <see cref="TestDatabase"/>. Releases are versioned with a unique pre-release <see cref="Marker"/>, so
/// the engine's images of this workspace are told from everyone else's. Everything it made is removed on dispose.
/// </summary>
internal sealed class BuildWorkspace : IAsyncDisposable
{
    public const string PasswordVariable = "SLIPWAY_WORKSPACE_REGISTRY_PASSWORD";
    private const string Source = DeployTestStack.Folder + "/build-workspace";

    private readonly string certs;

    private BuildWorkspace(string root, string certs, string project, PrivateRegistry registry, TestDatabase database)
    {
        Root = root;
        this.certs = certs;
        Registry = registry;
        Database = database;
        Names = new StackNames(project, "local");
        Marker = "t" + project[1..];
    }

    public string Root { get; }

    public PrivateRegistry Registry { get; }

    public TestDatabase Database { get; }

    public StackNames Names { get; }

    /// <summary>In every version this workspace releases (and so in its image tags): "1.0.0-&lt;marker&gt;".</summary>
    public string Marker { get; }

    public DockerClient Docker { get; } = new();

    public string Version(string release) => $"{release}-{Marker}";

    /// <param name="bootstrap">The environment's "bootstrap": Setup would start a private engine and registry for it.</param>
    public static async Task<BuildWorkspace> CreateAsync(bool bootstrap = false)
    {
        var registry = await PrivateRegistry.StartAsync();
        var database = await TestDatabase.CreateAsync();
        var project = "w" + Guid.NewGuid().ToString("N")[..8];
        var root = Directory.CreateTempSubdirectory("slipway-workspace-").FullName;
        var certs = Directory.CreateTempSubdirectory("slipway-workspace-certs-").FullName;
        // nginx runs as uid 101 and must traverse the folder (gen-certs.sh makes the key group-readable).
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(certs, (UnixFileMode)0b111_101_101);
        await RunAsync(root, "bash", RepositoryFiles.PathOf("nginx/gen-certs.sh"), certs);

        LayOut(root);
        var https = DeployTestStack.FreePort();
        await File.WriteAllTextAsync(Path.Combine(root, ".nuke/environments/local.json"), JsonSerializer.Serialize(new
        {
            registry = new { kind = "basic", address = registry.Address, user = PrivateRegistry.User, passwordVariable = PasswordVariable },
            strategy = "single-host",
            project,
            publicUrl = $"https://localhost:{https}",
            trustedCaFile = Path.Combine(certs, "ca.crt"),
            compose = new
            {
                files = new[] { "compose.yml" },
                appService = "api",
                proxyService = "nginx",
                upstreamFile = "/etc/nginx/upstreams/api.conf",
                appPort = 8080,
                variables = new Dictionary<string, string>
                {
                    ["NGINX_HTTP_PORT"] = DeployTestStack.FreePort().ToString(CultureInfo.InvariantCulture),
                    ["NGINX_HTTPS_PORT"] = https.ToString(CultureInfo.InvariantCulture),
                    ["NGINX_CERTS_DIR"] = certs,
                },
            },
            health = new { timeoutSeconds = 60 },
            smoke = new { timeoutSeconds = 20, retries = 4, initialBackoffMilliseconds = 100 },
            drainSeconds = 1,
            bootstrap,
        }));

        var workspace = new BuildWorkspace(root, certs, project, registry, database);
        await RunAsync(root, "git", "init", "-q");
        await workspace.CommitAsync("the workspace");
        return workspace;
    }

    /// <summary>
    /// Lays out a workspace in <paramref name="root"/>: build-workspace/ with the repository's nginx/, docker/nginx.Dockerfile
    /// and API migrations, and an empty .nuke/environments/ for its environment file.
    /// </summary>
    internal static void LayOut(string root)
    {
        CopyFolder(RepositoryFiles.PathOf(Source), root);
        CopyFolder(RepositoryFiles.PathOf("nginx"), Path.Combine(root, "nginx"), skip: "certs");
        CopyFolder(RepositoryFiles.PathOf("src/Api/Migrations"), Path.Combine(root, "src/Api/Migrations"));
        Directory.CreateDirectory(Path.Combine(root, "docker"));
        File.Copy(RepositoryFiles.PathOf("docker/nginx.Dockerfile"), Path.Combine(root, "docker/nginx.Dockerfile"));
        File.Move(Path.Combine(root, "images.json"), Path.Combine(root, "docker/images.json"));
        File.Move(Path.Combine(root, "base-images.json"), Path.Combine(root, "docker/base-images.json"));
        Directory.CreateDirectory(Path.Combine(root, ".nuke/environments"));
    }

    /// <summary>A new commit of everything in the workspace: the next release's version carries it.</summary>
    public Task CommitAsync(string message) => CommitAllAsync(Root, message);

    /// <summary>A new commit of everything in the git repository <paramref name="root"/>; returns its short hash (as in a release's version).</summary>
    internal static async Task<string> CommitAllAsync(string root, string message)
    {
        await RunAsync(root, "git", "add", "-A");
        await RunAsync(root, "git", "-c", "user.name=slipway-tests", "-c", "user.email=tests@slipway.invalid", "commit", "-q", "--allow-empty", "-m", message);
        return (await RunAsync(root, "git", "rev-parse", "--short=7", "HEAD")).Trim();
    }

    /// <summary>
    /// Runs ./build.sh's compiled build with <paramref name="arguments"/> and --environment local, not as a CI build, with
    /// the registry's password in its variable; <paramref name="dockerHost"/> replaces DOCKER_HOST.
    /// </summary>
    public Task<BuildOutput> RunAsync(IReadOnlyList<string> arguments, string? dockerHost = null)
    {
        var environment = new Dictionary<string, string> { [PasswordVariable] = Registry.Password };
        if (dockerHost is not null)
            environment["DOCKER_HOST"] = dockerHost;
        // A guard against a hung build, not a measure: a deploy here takes well under a minute.
        return BuildOutput.RunAsync(Root, [.. arguments, "--environment", "local"], environment, TimeSpan.FromMinutes(10));
    }

    /// <summary>
    /// What a deploy could change, one line per fact: the registry's tags and digests; this environment's containers,
    /// volumes and networks on the engine; the engine's images of this workspace; the ledger; the database's schema and history.
    /// </summary>
    public async Task<IReadOnlyList<string>> SnapshotAsync()
    {
        var lines = new List<string>();
        lines.AddRange((await Registry.ContentsAsync()).Select(l => "registry  " + l));
        lines.AddRange((await Docker.Containers.ListAsync([]))
            .Where(c => c.Name.StartsWith(Names.Project + "-", StringComparison.Ordinal))
            .Select(c => $"container {c.Name} {c.Id} {c.ImageID} {c.State}").Order(StringComparer.Ordinal));
        lines.AddRange((await Docker.Volumes.ListAsync(Names.Project)).Select(v => $"volume    {v.Name}").Where(v => v.Contains(" " + Names.Project + "-", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        lines.AddRange((await Docker.Networks.ListAsync(Names.Project)).Select(n => $"network   {n.Name} {n.Id}").Where(n => n.Contains(" " + Names.Project + "-", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        lines.AddRange((await ImagesAsync()).Select(i => $"image     {i.Id} {string.Join(',', (i.RepoTags ?? []).Order(StringComparer.Ordinal))} {string.Join(',', (i.RepoDigests ?? []).Order(StringComparer.Ordinal))}").Order(StringComparer.Ordinal));
        var ledger = await ReleaseLedger.OpenReadOnlyAsync(Docker, Names);
        lines.AddRange((await ledger.ReadAsync()).Select(r => "ledger    " + JsonSerializer.Serialize(r)));
        lines.AddRange((await Database.SchemaSnapshotAsync()).Select(l => "schema    " + l));
        if ((await Database.RowsAsync("SELECT to_regclass('public.schema_migrations') IS NOT NULL"))[0] == "True")
            lines.AddRange((await Database.RowsAsync("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")).Select(l => "migrated  " + l));
        return lines;
    }

    /// <summary>The engine's images this workspace built or pulled: tagged with its marker, or from its registry.</summary>
    private async Task<IReadOnlyList<ImageSummary>> ImagesAsync() =>
        (await Docker.Images.ListAsync()).Where(i =>
            (i.RepoTags ?? []).Any(t => t.Contains(Marker, StringComparison.Ordinal) || t.StartsWith(Registry.Address + "/", StringComparison.Ordinal)) ||
            (i.RepoDigests ?? []).Any(d => d.StartsWith(Registry.Address + "/", StringComparison.Ordinal))).ToArray();

    public async ValueTask DisposeAsync()
    {
        foreach (var container in (await Docker.Containers.ListAsync([])).Where(c => c.Name.StartsWith(Names.Project + "-", StringComparison.Ordinal)))
            await Ignore(() => Docker.Containers.RemoveAsync(container.Id, force: true, volumes: true));
        foreach (var volume in await Docker.Volumes.ListAsync(Names.Project))
            await Ignore(() => Docker.Volumes.RemoveAsync(volume.Name, force: true));
        foreach (var network in await Docker.Networks.ListAsync(Names.Project))
            await Ignore(() => Docker.Networks.RemoveAsync(network.Id));
        foreach (var image in await ImagesAsync())
            await Ignore(() => Docker.Images.RemoveAsync(image.Id, force: true));
        Docker.Dispose();
        await Registry.DisposeAsync();
        await Database.DisposeAsync();
        Directory.Delete(Root, recursive: true);
        Directory.Delete(certs, recursive: true);
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

    private static void CopyFolder(string from, string to, string? skip = null)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var folder in Directory.EnumerateDirectories(from).Where(d => Path.GetFileName(d) != skip))
            CopyFolder(folder, Path.Combine(to, Path.GetFileName(folder)));
    }

    /// <summary>Runs a tool in <paramref name="directory"/>; returns its output, or throws with its errors when it fails.</summary>
    internal static async Task<string> RunAsync(string directory, string file, params string[] arguments)
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

/// <summary>What one run of the build printed, with the parts the dry-run tests compare.</summary>
internal sealed partial record BuildOutput(string Command, int ExitCode, IReadOnlyList<string> Lines, string Error)
{
    /// <summary>
    /// Runs the compiled build (the _build.dll beside the tests) in <paramref name="root"/> as ./build.sh does, not as a CI
    /// build, with <paramref name="environment"/> added to this process's; <paramref name="guard"/> only stops a hung build.
    /// </summary>
    /// <param name="unset">Variables of this process the build must not see (e.g. the AWS keys, to run it without credentials).</param>
    public static async Task<BuildOutput> RunAsync(string root, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan guard, IReadOnlyList<string>? unset = null)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "_build.dll"));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var variable in new[] { "CI", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "SLIPWAY_ENVIRONMENT", "DATABASE_URL" })
            start.Environment.Remove(variable);
        foreach (var variable in unset ?? [])
            start.Environment.Remove(variable);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(guard);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"./build.sh {string.Join(' ', arguments)} did not finish:\n{await stdout}\n{await stderr}");
        }

        return new BuildOutput(string.Join(' ', arguments), process.ExitCode, (await stdout).Split('\n').Select(l => l.TrimEnd('\r')).ToArray(), await stderr);
    }

    /// <summary>The log lines under "▸ <paramref name="target"/>", without their indentation.</summary>
    public IReadOnlyList<string> Section(string target) =>
        Lines.SkipWhile(l => l != $"▸ {target}").Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l[2..]).ToArray();

    /// <summary>The plan lines of <paramref name="target"/>'s section: from the one starting with <paramref name="first"/> to the "then" line.</summary>
    public IReadOnlyList<string> Plan(string target, string first)
    {
        var section = Section(target);
        var start = section.ToList().FindIndex(l => l.StartsWith(first, StringComparison.Ordinal));
        var end = section.ToList().FindIndex(Math.Max(start, 0), l => l.StartsWith("then ", StringComparison.Ordinal));
        return start < 0 || end < 0 ? [] : section.Skip(start).Take(end - start + 1).ToArray();
    }

    /// <summary>The target's note in the summary table (for a skipped target, why).</summary>
    public string Note(string target) =>
        Lines.Select(l => SummaryRow().Match(l)).Last(m => m.Success && m.Groups["target"].Value == target).Groups["note"].Value;

    public override string ToString() => $"./build.sh {Command} → exit {ExitCode}\n{string.Join('\n', Lines)}\n{Error}";

    [GeneratedRegex(@"^(?<target>\w+)\s+(?:Succeeded|Skipped|Failed|Not run|Cancelled)\s+(?:\d+(?:\.\d+)? (?:ms|s)|\d+ min \d+ s)?\s*(?<note>.*)$")]
    private static partial Regex SummaryRow();
}
