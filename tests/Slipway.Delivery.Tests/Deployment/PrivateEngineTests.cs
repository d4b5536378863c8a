using Slipway.Delivery.Tests.Images;
using Slipway.Tools.Docker;
using Slipway.Tools.Processes;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>
/// docker/scripts/engine.sh, which CI, the tests' second engines and the local bootstrap start. dockerd leaves the host
/// interfaces of its bridge networks behind when it stops; an engine whose folder is then removed (every CI run's) left
/// them for good, until Docker's 31 default subnets were all taken and no network could be created on this host.
/// </summary>
public sealed class PrivateEngineTests
{
    [ToolFact("dockerd", "ip")]
    public async Task Its_networks_take_subnets_of_its_own_pool_and_stop_removes_their_bridges_which_start_brings_back()
    {
        var folder = Directory.CreateTempSubdirectory("slipway-engine-").FullName;
        var options = new ProcessOptions { Environment = new Dictionary<string, string?> { ["SLIPWAY_ENGINE_DIR"] = folder }, Timeout = TimeSpan.FromMinutes(2) };
        var script = RepositoryFiles.PathOf("docker/scripts/engine.sh");
        try
        {
            await ProcessRunner.RunAsync("bash", [script, "start"], options);
            string bridge;
            using (var docker = new DockerClient(DockerEndpoint.Parse($"unix://{folder}/docker.sock")))
                bridge = "br-" + (await docker.Networks.CreateAsync(new NetworkCreateParameters("probe")))[..12];
            Assert.StartsWith("10.150.", await AddressAsync(bridge), StringComparison.Ordinal);

            await ProcessRunner.RunAsync("bash", [script, "stop"], options);
            Assert.False(Directory.Exists($"/sys/class/net/{bridge}"), $"{bridge} is still on the host after the engine stopped");

            await ProcessRunner.RunAsync("bash", [script, "start"], options);
            Assert.StartsWith("10.150.", await AddressAsync(bridge), StringComparison.Ordinal);
        }
        finally
        {
            await ProcessRunner.RunAsync("bash", [script, "stop"], options);
            await ProcessRunner.RunAsync("rm", ["-rf", folder], new ProcessOptions { Timeout = TimeSpan.FromMinutes(2) });
        }
    }

    /// <summary>The interface's IPv4 address as the host sees it (ip's fourth field: 10.150.0.1/24).</summary>
    private static async Task<string> AddressAsync(string bridge)
    {
        var result = await ProcessRunner.RunAsync("ip", ["-o", "-4", "addr", "show", "dev", bridge], new ProcessOptions { Timeout = TimeSpan.FromSeconds(10), CheckExitCode = false });
        Assert.True(result.Succeeded, $"{bridge} is not on the host: {string.Join(' ', result.StandardError)}");
        return result.Output.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];
    }
}
