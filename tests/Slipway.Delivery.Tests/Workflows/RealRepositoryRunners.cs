using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.Delivery.Tests.Workflows.Simulator;

namespace Slipway.Delivery.Tests.Workflows;

/// <summary>
/// The simulated GitHub for this repository's own workflows: a copy of the checkout as the repository, and runners whose
/// machine variables stand in for what a GitHub-hosted runner has and this machine has not, each for a stated reason:
/// <list type="bullet">
/// <item>No network here: the NuGet cache starts with the entry an earlier run on main would have saved (this
/// machine's NuGet folder, hard-linked), npm installs offline from this machine's npm cache, and seed-base-images
/// debootstraps from a private copy of the rootfs cache .ci/run fills (SLIPWAY_ROOTFS_CACHE, which it already honours).</item>
/// <item>The outer .ci/run already holds the default ports (registry 5000, PostgreSQL 55432, Redis 56379), so the runner
/// sets SLIPWAY_TEST_REGISTRY, SLIPWAY_PG_PORT and SLIPWAY_REDIS_PORT to free ones, which .ci/run honours.</item>
/// <item>The job's <c>.ci/run Test</c> would run the whole suite, this test among it: TEST_FILTER (the Test target's
/// TestFilter parameter, read from the environment as every build parameter is) narrows it to a few tests that use
/// the job's own servers, plus <see cref="Regression"/>, the test a red commit adds.</item>
/// </list>
/// </summary>
/// <summary>A fact that runs a real workflow job: it needs dockerd (the job's .ci/run starts an engine), root, and the rootfs cache.</summary>
public sealed class WorkflowRunnerFactAttribute : RealServerFactAttribute
{
    public WorkflowRunnerFactAttribute()
    {
        Needs(ToolFactAttribute.OnPath("dockerd") && Environment.UserName == "root", "dockerd and root (a simulated runner's .ci/run starts its own engine)", RealServers.InstallTools);
        Needs(RealRepositoryRunners.RootfsComplete, $"the base images' root file systems in {RealRepositoryRunners.Rootfs}", "make them with bash .ci/run (its seed-base-images debootstraps them there)");
    }
}

internal sealed class RealRepositoryRunners : IAsyncDisposable
{
    public const string Regression = "SimulatedRegression";

    private RealRepositoryRunners(GitRepository repository, SimulatedGitHub github, string root)
    {
        Repository = repository;
        GitHub = github;
        this.root = root;
    }

    private readonly string root;

    public GitRepository Repository { get; }

    public SimulatedGitHub GitHub { get; }

    /// <summary>The root file systems seed-base-images debootstraps (under .ci/run, into the checkout's .nuke/temp/rootfs).</summary>
    public static string Rootfs { get; } = Path.Combine(RepositoryRoot.Path, ".nuke", "temp", "rootfs");

    public static bool RootfsComplete => new[] { "dotnet", "postgres", "redis", "nginx" }.All(f => File.Exists(Path.Combine(Rootfs, f, ".complete")));

    public static async Task<RealRepositoryRunners> CreateAsync(FakeSts? sts = null)
    {
        var rootfs = Rootfs;
        var root = Directory.CreateTempSubdirectory("sim-").FullName;
        // The job's PostgreSQL runs as the postgres user, which must be able to reach its folder in the workspace.
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        var repository = await GitRepository.CopyOfAsync(RepositoryRoot.Path);
        var github = new SimulatedGitHub(repository.Path, Path.Combine(root, "gh")) { Sts = sts };

        var privateRootfs = Path.Combine(root, "rootfs");
        await Shell.RunAsync("cp", ["-al", rootfs, privateRootfs]);
        var home = Environment.GetEnvironmentVariable("HOME") ?? "/root";
        var nuget = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(home, ".nuget", "packages");
        await github.Cache.SeedAsync("nuget-Linux-from-an-earlier-run", nuget);

        var runner = github.RunnerVariables;
        runner["SLIPWAY_ROOTFS_CACHE"] = privateRootfs;
        runner["npm_config_cache"] = Path.Combine(home, ".npm");
        runner["npm_config_offline"] = "true";
        runner["SLIPWAY_TEST_REGISTRY"] = $"127.0.0.1:{DeployTestStack.FreePort()}";
        runner["SLIPWAY_PG_PORT"] = DeployTestStack.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        runner["SLIPWAY_REDIS_PORT"] = DeployTestStack.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        runner["TEST_FILTER"] = $"FullyQualifiedName~Api.Tests.RedisCacheTests|FullyQualifiedName~Api.Tests.MigrateModeTests|FullyQualifiedName~Slipway.Tools.Tests.Registry|FullyQualifiedName~{Regression}";
        return new RealRepositoryRunners(repository, github, root);
    }

    public async ValueTask DisposeAsync()
    {
        Repository.Dispose();
        await Shell.RunAsync("rm", ["-rf", root]);
    }
}
