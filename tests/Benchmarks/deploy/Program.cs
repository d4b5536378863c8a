using System.Globalization;
using System.Runtime.InteropServices;
using Slipway.Benchmarks.Deploy;
using Slipway.Migrations;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.Delivery.Tests.Images;
using Slipway.Tools.Docker;

// Deploy benchmark (issue 6). On a private engine (started and removed by deploy.sh), under steady load:
// our single-host blue-green deploy of v2 and rollback to v1, against Docker Swarm's own
// `service update` and `service rollback` of the same images. Images are built on the engine at
// DOCKER_HOST and pushed to SLIPWAY_TEST_REGISTRY. Writes artifacts/benchmarks/deploy.md; exits 1
// when our deploy or rollback failed a single request.
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
    static void Log(string line) => Console.WriteLine($"{DateTime.Now:HH:mm:ss.f} {line}");

    await using var stack = await DeployTestStack.CreateAsync(DockerEndpoint.Parse(engineHost));
    var v1 = await stack.PushAppAsync(Contender.V1);
    var v2 = await stack.PushAppAsync(Contender.V2);
    foreach (var image in new[] { v1, v2, stack.Environment.Compose.Variables["NGINX_IMAGE"] })
        await stack.Docker.Images.PullAsync(image, stack.Auth);

    var noVariables = new Dictionary<string, string>();
    var migrations = MigrationSet.Load(RepositoryFiles.PathOf("src/Api/Migrations"));
    await SingleHostDeployer.DeployAsync(stack.Docker, stack.Request(Contender.V1, v1), Log);
    var ours = new Contender(
        "Ours: single-host blue-green",
        Ours: true,
        new Uri($"https://127.0.0.1:{stack.HttpsPort.ToString(CultureInfo.InvariantCulture)}"),
        stack.Environment.TrustedCaFile!,
        OursSetup(stack.Environment),
        Deploy: () => SingleHostDeployer.DeployAsync(stack.Docker, stack.Request(Contender.V2, v2), Log),
        Rollback: () => SingleHostDeployer.RollbackAsync(stack.Docker, new RollbackRequest(stack.Environment, stack.Root, noVariables, null, migrations), Log));
    var results = new List<ContenderResult> { await ours.RunAsync(Log) };

    // Each side runs alone: our idle stack (health checks every second) must not load the swarm's phases.
    foreach (var container in await stack.RunningAsync())
        await stack.Docker.Containers.StopAsync(container, TimeSpan.FromSeconds(10));

    using var cli = new DockerCli(engineHost, Path.Combine(engineFolder, "cli-config"), Log);
    var swarm = await (await SwarmBaseline.CreateAsync(cli, stack, v1, v2)).RunAsync(Log);
    results.Add(swarm);
    await SwarmBaseline.RemoveAsync(cli);

    // Our swarm strategy on the same swarm, with the baseline's settings: 1 replica, start-first, Docker's 5 s monitor.
    await using var swarmStack = await DeployTestStack.CreateAsync(DockerEndpoint.Parse(engineHost), DeployStrategy.Swarm);
    var sameAsBaseline = new Dictionary<string, string> { ["API_REPLICAS"] = "1", ["API_UPDATE_DELAY"] = "0s", ["API_UPDATE_MONITOR"] = "5s" };
    DeployRequest SwarmRequest(string version, string image) => swarmStack.Request(version, image) with { Variables = sameAsBaseline };
    await SwarmDeployer.DeployAsync(swarmStack.Docker, SwarmRequest(Contender.V1, v1), Log);
    var oursOnSwarm = new Contender(
        "Ours: swarm strategy",
        Ours: true,
        new Uri($"https://127.0.0.1:{swarmStack.HttpsPort.ToString(CultureInfo.InvariantCulture)}"),
        swarmStack.Environment.TrustedCaFile!,
        OursOnSwarmSetup(swarmStack.Environment),
        Deploy: () => SwarmDeployer.DeployAsync(swarmStack.Docker, SwarmRequest(Contender.V2, v2), Log),
        Rollback: () => SwarmDeployer.RollbackAsync(swarmStack.Docker, new RollbackRequest(swarmStack.Environment, swarmStack.Root, noVariables, swarmStack.Auth, migrations), Log));
    results.Add(await oursOnSwarm.RunAsync(Log));

    var engine = await stack.Docker.System.VersionAsync();
    var machine = string.Create(CultureInfo.InvariantCulture,
        $"{Environment.ProcessorCount} cores ({CpuModel()}), {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {RuntimeInformation.OSDescription}; " +
        $"Docker Engine {engine.Version} (vfs, no iptables); measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC. " +
        $"Load average (1 min) {loadAtStart} at the start, {LoadAverage()} at the end: other work on the machine shares its cores.");
    var markdown = DeployReport.Render(results, swarm, machine);
    var report = Path.Combine(stack.Root, "artifacts", "benchmarks", "deploy.md");
    Directory.CreateDirectory(Path.GetDirectoryName(report)!);
    await File.WriteAllTextAsync(report, markdown);
    Console.WriteLine(markdown);
    return results.Any(r => r.Contender.Ours && r.Failed) ? 1 : 0;
}

static string OursSetup(DeployEnvironment environment) => string.Create(CultureInfo.InvariantCulture, $"""
    `SingleHostDeployer.DeployAsync` and `RollbackAsync`, the deploy code itself, against the private engine with the deploy
    tests' compose file `{environment.Compose.Files[0]}` (edge nginx and the app, health checks every second) and their
    settings: health timeout {environment.Health.Timeout.TotalSeconds:0} s, smoke checks (budget {environment.Smoke.Timeout.TotalSeconds:0} s),
    drain {environment.Drain.TotalSeconds:0.#} s. One app container serves at a time. A deploy takes the deploy lock, records the
    release in the ledger, starts the other colour next to the live one, waits for its health check, smoke-checks it
    directly, switches nginx's upstream include with a graceful reload, smoke-checks through nginx, drains, and stops
    (keeps) the old colour. The rollback restarts the kept colour and switches back the same way, without pulling.
    Timed: each call until it returns.
    """);

static string OursOnSwarmSetup(DeployEnvironment environment) => $"""
    `SwarmDeployer.DeployAsync` and `RollbackAsync` on the same swarm once the baseline's services are removed, with the deploy
    tests' compose files (`{string.Join("` + `", environment.Compose.Files)}`) set to the baseline's settings: 1 replica,
    dnsrr, start-first, failure action rollback, Docker's 5 s monitor. A deploy takes the lock, records the release, updates
    the app service and follows its update status until the swarm reports it complete (or rolled back: a failure), then
    smoke-checks through nginx. The rollback changes only the service's image and version back to the ledger's previous
    release. Timed: each call until it returns.
    """;

static string CpuModel() =>
    File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) is { } line
        ? line.Split(':', 2)[1].Trim()
        : RuntimeInformation.ProcessArchitecture.ToString();

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";
