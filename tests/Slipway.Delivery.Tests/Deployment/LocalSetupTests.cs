using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Images;
using Slipway.Testing;
using Slipway.Tools.Docker;
using Slipway.Tools.Processes;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>
/// Setup on a copy of the repository's scripts in a temporary root, so the private engine it starts (a real
/// dockerd) is this test's own and Down stops exactly that one. The registry is the test registry that
/// .ci/run seeded, so Setup finds every base image there and seeds nothing.
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class LocalSetupTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("slipway-setup-").FullName;

    public LocalSetupTests()
    {
        foreach (var file in new[] { "docker/scripts/engine.sh", "docker/scripts/registry.sh", "docker/scripts/install.sh", "docker/scripts/requirements.txt",
                     "docker/scripts/seed-base-images.sh", "docker/base-images.json", "nginx/gen-certs.sh",
                     "src/Api/Api.csproj", "Directory.Packages.props", "Directory.Build.props", "global.json" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, file))!);
            File.Copy(RepositoryFiles.PathOf(file), Path.Combine(root, file));
        }
    }

    private DeployEnvironment Local(string registry) =>
        EnvironmentFile.Load(RepositoryFiles.Root, EnvironmentName.Local) with
        {
            SourceFile = Path.Combine(root, "local.json"),
            Registry = new RegistrySettings(RegistryKind.Basic, registry, RealServers.RegistryUser ?? "AWS", "TEST_REGISTRY_PASSWORD", null, null),
        };

    [RegistryFact]
    public async Task It_converges_a_second_run_changes_nothing_and_with_no_engine_it_starts_a_private_one()
    {
        var environment = Local(RealServers.Registry!);
        var dockerHost = RealServers.DockerHost;
        string? Variable(string name) => name switch
        {
            "DOCKER_HOST" => dockerHost,
            "TEST_REGISTRY_PASSWORD" => RealServers.RegistryPassword,
            _ => null,
        };
        var log = new List<string>();
        try
        {
            // The test engine and registry that .ci/run seeded: every base image is there, but this root never seeded
            // them, so Setup has the script check them (it finds them up to date), and makes the certificates.
            var used = await new LocalSetup(environment, root, Variable, log.Add).RunAsync();
            Assert.Equal(DockerEndpoint.Parse(dockerHost), used.Engine);
            Assert.Equal(
            [
                "packages: all present (docker/scripts/requirements.txt)",
                $"engine: {used.Engine} answers",
                $"registry: {RealServers.Registry} answers and accepts user {environment.Registry.User}",
                $"base images: the seed recipe or the SDK image's offline packages changed since {RealServers.Registry} was seeded: reseeding (seconds when little changed)",
                $"base images: all 5 of docker/base-images.json in {RealServers.Registry}",
                "certificates: made a local CA and a server certificate in nginx/certs (trust nginx/certs/ca.crt to browse without warnings)",
            ], log);

            log.Clear();
            await new LocalSetup(environment, root, Variable, log.Add).RunAsync();
            Assert.Equal(
            [
                "packages: all present (docker/scripts/requirements.txt)",
                $"engine: {used.Engine} answers",
                $"registry: {RealServers.Registry} answers and accepts user {environment.Registry.User}",
                $"base images: all 5 of docker/base-images.json in {RealServers.Registry}",
                "certificates: nginx/certs valid for 30 more days at least",
            ], log);

            // No engine answers: Setup starts a private one, and read-only targets find it without starting anything.
            var nowhere = $"unix://{root}/nothing-listens-here.sock";
            dockerHost = nowhere;
            log.Clear();
            var started = await new LocalSetup(environment, root, Variable, log.Add).RunAsync();
            Assert.Equal(LocalSetup.PrivateEngine(root), started.Engine);
            Assert.StartsWith($"engine ready at {started.Engine} (", log[1], StringComparison.Ordinal);
            Assert.Equal($"engine: started a private engine (state in {LocalSetup.EngineFolder}; ./build.sh Down stops it)", log[2]);
            Assert.DoesNotContain(log, l => l.Contains("seeding", StringComparison.Ordinal) || l.Contains("made", StringComparison.Ordinal));
            using (var docker = new DockerClient(started.Engine))
                await docker.System.PingAsync();
            Assert.Equal(started.Engine, await LocalSetup.FindEngineAsync(environment, root, Variable));

            await LocalSetup.DownAsync(root, _ => { });
            var error = await Assert.ThrowsAsync<DeployFailedException>(() => LocalSetup.FindEngineAsync(environment, root, Variable));
            Assert.Equal($"no Docker engine answers at {nowhere} nor at the private engine {started.Engine}: run ./build.sh Setup", error.Message);
        }
        finally
        {
            await LocalSetup.DownAsync(root, _ => { });
        }
    }

    [RegistryFact]
    public async Task A_registry_that_refuses_our_password_is_one_line_naming_the_fix()
    {
        var environment = Local(RealServers.Registry!);
        string? Variable(string name) => name switch
        {
            "DOCKER_HOST" => RealServers.DockerHost,
            "TEST_REGISTRY_PASSWORD" => "not-the-password",
            _ => null,
        };

        var error = await Assert.ThrowsAsync<DeployFailedException>(() => new LocalSetup(environment, root, Variable, _ => { }).RunAsync());

        Assert.Equal($"registry {RealServers.Registry} refuses user {environment.Registry.User} with the password of TEST_REGISTRY_PASSWORD: " +
                     "fix the password, or stop that registry (./build.sh Down) and run ./build.sh Setup again", error.Message);
        Assert.DoesNotContain("not-the-password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_bootstrap_an_unreachable_engine_is_one_line_naming_the_setting()
    {
        var environment = Local("127.0.0.1:5000") with { Bootstrap = false };

        var error = await Assert.ThrowsAsync<DeployFailedException>(() =>
            LocalSetup.FindEngineAsync(environment, root, name => name == "DOCKER_HOST" ? "unix:///nonexistent/docker.sock" : null));
        Assert.Equal($"Docker engine not reachable at unix:///nonexistent/docker.sock for local: start it, or fix docker.host in {root}/local.json", error.Message);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Install_lists_what_is_missing_and_without_root_names_the_command_to_run()
    {
        File.WriteAllText(Path.Combine(root, "docker/scripts/requirements.txt"),
            "# kind name for why\napt     bash                      setup     present on every machine\napt     slipway-no-such-package   setup     missing\n" +
            "apt     slipway-engine-package    engine test  only without an engine\napt     another-missing-one       test      not for setup\n");
        var script = Path.Combine(root, "docker/scripts/install.sh");

        var check = await ProcessRunner.RunAsync("bash", [script, "--check", "setup"], new ProcessOptions { CheckExitCode = false });
        Assert.Equal(3, check.ExitCode);
        Assert.Equal("missing: slipway-no-such-package", check.Output);
        var withEngine = await ProcessRunner.RunAsync("bash", [script, "--check", "engine", "setup"], new ProcessOptions { CheckExitCode = false });
        Assert.Equal("missing: slipway-no-such-package slipway-engine-package", withEngine.Output);

        File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var asNobody = await ProcessRunner.RunAsync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "bash", script, "setup"], new ProcessOptions { CheckExitCode = false });
        Assert.Equal(2, asNobody.ExitCode);
        Assert.Equal("error: this machine lacks slipway-no-such-package: run sudo docker/scripts/install.sh setup (or sudo apt-get install slipway-no-such-package)",
            Assert.Single(asNobody.StandardError));
    }

    // The engine's data root holds files only root may remove, as the engine made them.
    public void Dispose() => ProcessRunner.RunAsync("rm", ["-rf", root], new ProcessOptions { Timeout = TimeSpan.FromMinutes(2) }).GetAwaiter().GetResult();
}
