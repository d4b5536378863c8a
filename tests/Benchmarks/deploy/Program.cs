using System.Globalization;
using System.Runtime.InteropServices;
using Slipway.Benchmarks.Deploy;
using Slipway.Migrations;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.Delivery.Tests.Images;
using Slipway.Tools.Docker;

// Deploy benchmark (issues 6 and 11). On a private engine (started and removed by deploy.sh), under steady load:
// every kind of change (app only, nginx only, both, a release that crashes, one that fails smoke, rollback, rollback
// again) shipped by our single-host blue-green deploy and our swarm strategy, against Docker Swarm's own
// `service update` and `service rollback` of the same images. Images are built on the engine at DOCKER_HOST and
// pushed to SLIPWAY_TEST_REGISTRY. Writes artifacts/benchmarks/deploy.md; exits 1 when one of our changes failed a
// single request.
var engineFolder = Environment.GetEnvironmentVariable("SLIPWAY_BENCHMARK_ENGINE_DIR") is { Length: > 0 } folder
    ? folder
    : throw new InvalidOperationException("run tests/Benchmarks/deploy.sh: it starts the private engine and sets SLIPWAY_BENCHMARK_ENGINE_DIR");
try
{
    return await RunAsync(engineFolder);
}
catch (Exception e)
{
    // Handled rather than left to crash the process, so the stack is disposed (containers, certificates, tags) on the way out.
    Console.Error.WriteLine(e);
    return 2;
}

static async Task<int> RunAsync(string engineFolder)
{
    var engineHost = "unix://" + Path.Combine(engineFolder, "docker.sock");
    var loadAtStart = LoadAverage();
    var started = DateTime.UtcNow;
    static void Log(string line) => Console.WriteLine($"{DateTime.Now:HH:mm:ss.f} {line}");

    await using var stack = await DeployTestStack.CreateAsync(DockerEndpoint.Parse(engineHost));
    var releases = await Releases.PushAsync(stack);
    foreach (var image in releases.Images)
        await stack.Docker.Images.PullAsync(image, stack.Auth);

    var migrations = MigrationSet.Load(RepositoryFiles.PathOf("src/Api/Migrations"));
    var noVariables = new Dictionary<string, string>();
    stack.UseEdge(releases.Edge1);
    await ReleaseRunner.DeployAsync(stack.Docker, stack.Request(Releases.Version1, releases.V1), Log);
    var ours = new Contender(
        "Ours: single-host blue-green",
        Ours: true,
        new Uri($"https://127.0.0.1:{stack.HttpsPort.ToString(CultureInfo.InvariantCulture)}"),
        stack.Environment.TrustedCaFile!,
        OursSetup(stack.Environment),
        new Serving(Releases.Version1, Releases.E1),
        OurSteps(releases, stack.UseEdge,
            (version, image) => ReleaseRunner.DeployAsync(stack.Docker, stack.Request(version, image), Log),
            () => ReleaseRunner.RollbackAsync(stack.Docker, new RollbackRequest(stack.Environment, stack.Root, noVariables, null, migrations), Log)));
    var results = new List<ContenderResult> { await ours.RunAsync(Log) };

    // Each side runs alone: our idle stack (health checks every second) must not load the swarm's phases.
    foreach (var container in await stack.RunningAsync())
        await stack.Docker.Containers.StopAsync(container, TimeSpan.FromSeconds(10));

    using var cli = new DockerCli(engineHost, Path.Combine(engineFolder, "cli-config"), Log);
    var swarm = await (await SwarmBaseline.CreateAsync(cli, stack, releases)).RunAsync(Log);
    results.Insert(0, swarm);
    await SwarmBaseline.RemoveAsync(cli);

    // Our swarm strategy on the same swarm, with the baseline's settings: 1 replica, start-first, Docker's 5 s monitor.
    await using var swarmStack = await DeployTestStack.CreateAsync(DockerEndpoint.Parse(engineHost), DeployStrategy.Swarm);
    var sameAsBaseline = new Dictionary<string, string> { ["API_REPLICAS"] = "1", ["API_UPDATE_DELAY"] = "0s", ["API_UPDATE_MONITOR"] = "5s" };
    Task Deploy(string version, string image) =>
        ReleaseRunner.DeployAsync(swarmStack.Docker, swarmStack.Request(version, image) with { Variables = sameAsBaseline }, Log);
    swarmStack.UseEdge(releases.Edge1);
    await Deploy(Releases.Version1, releases.V1);
    var oursOnSwarm = new Contender(
        "Ours: swarm strategy",
        Ours: true,
        new Uri($"https://127.0.0.1:{swarmStack.HttpsPort.ToString(CultureInfo.InvariantCulture)}"),
        swarmStack.Environment.TrustedCaFile!,
        OursOnSwarmSetup(swarmStack.Environment),
        new Serving(Releases.Version1, Releases.E1),
        OurSteps(releases, swarmStack.UseEdge, Deploy,
            () => ReleaseRunner.RollbackAsync(swarmStack.Docker, new RollbackRequest(swarmStack.Environment, swarmStack.Root, sameAsBaseline, swarmStack.Auth, migrations), Log)));
    results.Add(await oursOnSwarm.RunAsync(Log));

    var engine = await stack.Docker.System.VersionAsync();
    var storage = (await cli.RunAsync("info", "--format", "{{.Driver}}")).StandardOutput.FirstOrDefault()?.Trim();
    var machine = string.Create(CultureInfo.InvariantCulture,
        $"{Environment.ProcessorCount} cores ({CpuModel()}), {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {RuntimeInformation.OSDescription}; " +
        $"Docker Engine {engine.Version} ({storage}, no iptables); measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, the whole run (builds included) " +
        $"{(DateTime.UtcNow - started).TotalMinutes:0.0} min. Load average (1 min) {loadAtStart} at the start, {LoadAverage()} at the end: other work on the machine shares its cores.");
    var markdown = DeployReport.Render(results, swarm, machine);
    var report = Path.Combine(stack.Root, "artifacts", "benchmarks", "deploy.md");
    Directory.CreateDirectory(Path.GetDirectoryName(report)!);
    await File.WriteAllTextAsync(report, markdown);
    Console.WriteLine(markdown);
    return results.Any(r => r.Contender.Ours && r.Failed) ? 1 : 0;
}

// The zero-downtime tests' sequence: each release as a new commit ships it (a new edge image with a new app, or alone),
// then two rollbacks that walk back: to what served before 3.0.0 was deployed (2.0.0 behind e2), then before that (e1).
static IReadOnlyList<Step> OurSteps(Releases releases, Action<string> useEdge, Func<string, string, Task> deploy, Func<Task> rollback)
{
    var (v2e1, v2e2, v3e3) = (new Serving(Releases.Version2, Releases.E1), new Serving(Releases.Version2, Releases.E2), new Serving(Releases.Version3, Releases.E3));
    return
    [
        new(Change.AppOnly, v2e1, () => deploy(Releases.Version2, releases.V2)),
        new(Change.NginxOnly, v2e2, () =>
        {
            useEdge(releases.Edge2);
            return deploy(Releases.Version2, releases.V2);
        }),
        new(Change.AppAndNginx, v3e3, () =>
        {
            useEdge(releases.Edge3);
            return deploy(Releases.Version3, releases.V3);
        }),
        new(Change.CrashAtStart, v3e3, () => RefusedAsync(deploy(Releases.Version4, releases.Crashing)), rollback),
        new(Change.FailsSmoke, v3e3, () =>
        {
            useEdge(releases.BrokenEdge);
            return RefusedAsync(deploy(Releases.Version5, releases.V5));
        }, rollback),
        new(Change.Rollback, v2e2, rollback),
        new(Change.RollbackAgain, v2e1, rollback),
    ];
}

// A failed release must be refused, the previous one serving; one that was taken instead is reported (and undone).
static async Task<string?> RefusedAsync(Task deploy)
{
    try
    {
        await deploy;
    }
    catch (DeployFailedException e) when (e.RolledBack)
    {
        Console.WriteLine($"refused as it must be: {e.Message.Split('\n')[0]}");
        return null;
    }

    return "taken, not refused";
}

static string OursSetup(DeployEnvironment environment) => string.Create(CultureInfo.InvariantCulture, $"""
    `ReleaseRunner.DeployAsync` and `RollbackAsync` with the single-host strategy, the deploy code itself, against the private engine with the deploy
    tests' compose file `{environment.Compose.Files[0]}` (edge nginx and the app, health checks every second) and their
    settings: health timeout {environment.Health.Timeout.TotalSeconds:0} s, smoke checks (budget {environment.Smoke.Timeout.TotalSeconds:0} s),
    drain {environment.Drain.TotalSeconds:0.#} s. One app container serves at a time. A deploy takes the deploy lock, records the
    release in the ledger, starts the other colour next to the live one, waits for its health check, smoke-checks it
    directly, hands nginx the new edge image's configuration (copied out of the image, `nginx -t`, made current) with the
    new upstream in one graceful reload, smoke-checks through nginx, drains, and stops (keeps) the old colour; nginx's
    container is never recreated. A release that exits at start is refused before traffic moves; one that fails the smoke
    checks through nginx is switched back, its edge configuration included. A rollback restarts the kept colour when it
    runs the release it goes back to (else starts one) and hands back the proxy release its ledger record names, without
    pulling. Timed: each call until it returns (a refused release: until it throws, the previous release serving).
    """);

static string OursOnSwarmSetup(DeployEnvironment environment) => $"""
    `ReleaseRunner.DeployAsync` and `RollbackAsync` with the swarm strategy on the same swarm once the baseline's services are removed, with the deploy
    tests' compose files (`{string.Join("` + `", environment.Compose.Files)}`) set to the baseline's settings: 1 replica,
    dnsrr, start-first, failure action rollback, Docker's 5 s monitor; nginx published in host mode. A deploy takes the lock,
    records the release, updates the app service and follows its update status until the swarm reports it complete (or
    rolled back: a failure), hands the new edge image's configuration to the running nginx task (graceful reload: the nginx
    service keeps its image and task), then smoke-checks through nginx. The rollback changes the app service's image and
    version back to the release that served before, and hands back that release's proxy configuration. Timed: each call
    until it returns.
    """;

static string CpuModel() =>
    File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) is { } line
        ? line.Split(':', 2)[1].Trim()
        : RuntimeInformation.ProcessArchitecture.ToString();

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";
