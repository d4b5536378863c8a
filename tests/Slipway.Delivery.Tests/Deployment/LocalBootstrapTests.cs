using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Images;
using Slipway.Tools.Docker;
using Slipway.Tools.Processes;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>
/// The local bootstrap on a copy of the repository's scripts in a temporary root, so the private
/// engine it starts (a real dockerd) is this test's own and Down stops exactly that one.
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class LocalBootstrapTests
{
    private static DeployEnvironment Local(string root) =>
        EnvironmentFile.Load(RepositoryFiles.Root, EnvironmentName.Local) with { SourceFile = Path.Combine(root, "local.json") };

    [DockerFact]
    public async Task With_no_engine_reachable_it_starts_a_private_engine_that_survives_until_down()
    {
        Assert.True(ProcessRunner.Resolve("dockerd") is not null, "dockerd (Debian's docker.io) is needed for the bootstrap");
        var root = Directory.CreateTempSubdirectory("slipway-boot-").FullName;
        Directory.CreateDirectory(Path.Combine(root, "docker/scripts"));
        foreach (var script in new[] { "engine.sh", "registry.sh" })
            File.Copy(RepositoryFiles.PathOf($"docker/scripts/{script}"), Path.Combine(root, "docker/scripts", script));
        var nowhere = $"unix://{root}/nothing-listens-here.sock";
        var log = new List<string>();
        try
        {
            var endpoint = await LocalBootstrap.EnsureEngineAsync(Local(root), root, name => name == "DOCKER_HOST" ? nowhere : null, log.Add);

            Assert.Equal(LocalBootstrap.PrivateEngine(root), endpoint);
            Assert.Equal([$"engine: started a private engine at {endpoint} (state in .nuke/temp/engine; ./build.sh Down stops it)"], log);
            using (var docker = new DockerClient(endpoint))
                await docker.System.PingAsync();

            // A second deploy finds the engine already running and says so.
            log.Clear();
            Assert.Equal(endpoint, await LocalBootstrap.EnsureEngineAsync(Local(root), root, name => name == "DOCKER_HOST" ? nowhere : null, log.Add));
            Assert.StartsWith("engine: using the private engine at", Assert.Single(log), StringComparison.Ordinal);

            await LocalBootstrap.DownAsync(root, _ => { });
            using (var stopped = new DockerClient(endpoint))
                await Assert.ThrowsAsync<DockerEngineUnreachableException>(() => stopped.System.PingAsync());
        }
        finally
        {
            await LocalBootstrap.DownAsync(root, _ => { });
            await ProcessRunner.RunAsync("rm", ["-rf", root], new ProcessOptions { Timeout = TimeSpan.FromMinutes(2) });
        }
    }

    [Fact]
    public async Task Without_bootstrap_an_unreachable_engine_is_one_line_naming_the_setting()
    {
        var environment = Local("/repo") with { Bootstrap = false };

        var error = await Assert.ThrowsAsync<DeployFailedException>(() =>
            LocalBootstrap.EnsureEngineAsync(environment, "/nonexistent", name => name == "DOCKER_HOST" ? "unix:///nonexistent/docker.sock" : null, _ => { }));
        Assert.Equal("Docker engine not reachable at unix:///nonexistent/docker.sock for local: start it, or fix docker.host in /repo/local.json", error.Message);
    }
}
