using Slipway.Delivery.Tests.Images;
using Slipway.Tools.Docker;
using Slipway.Tools.Processes;

namespace Slipway.Delivery.Tests.Deployment.TestStack;

/// <summary>
/// A second Docker engine of our own (docker/scripts/engine.sh, as the local bootstrap starts it) made
/// a single-node swarm, started on first use and stopped with its tests. Its swarm ports are free
/// loopback ports, so it does not collide with another engine's swarm on this host.
/// </summary>
public sealed class SwarmEngine : IAsyncLifetime
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private string? folder;
    private DockerEndpoint? endpoint;

    public async Task<DockerEndpoint> StartAsync()
    {
        await gate.WaitAsync();
        try
        {
            if (endpoint is not null)
                return endpoint;
            Assert.True(ProcessRunner.Resolve("dockerd") is not null, "dockerd (Debian's docker.io) is needed to start a swarm engine");
            folder = Directory.CreateTempSubdirectory("slipway-swarm-").FullName;
            await ProcessRunner.RunAsync("bash", [Script, "start"], Options(TimeSpan.FromMinutes(2)));
            var started = DockerEndpoint.Parse($"unix://{folder}/docker.sock");
            using var docker = new DockerClient(started);
            await CreateGatewayBridgeAsync(docker);
            await docker.Swarm.InitAsync(GossipAddress(), DeployTestStack.FreePort(), DeployTestStack.FreeUdpPort());
            Assert.True((await docker.Swarm.NodeAsync()).IsManager);
            return endpoint = started;
        }
        finally
        {
            gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (folder is null)
            return;
        if (endpoint is not null)
        {
            // The swarm's gateway bridge is an interface on the host: removed with its network, not with the engine.
            using var docker = new DockerClient(endpoint);
            await docker.Swarm.LeaveAsync();
            try
            {
                await docker.Networks.RemoveAsync("docker_gwbridge");
            }
            catch (DockerApiException)
            {
                // A task is still shutting down on it; the engine's stop below takes the rest.
            }
        }

        await ProcessRunner.RunAsync("bash", [Script, "stop"], Options(TimeSpan.FromMinutes(1)));
        await ProcessRunner.RunAsync("rm", ["-rf", folder], new ProcessOptions { Timeout = TimeSpan.FromMinutes(2) });
        gate.Dispose();
    }

    /// <summary>
    /// A swarm's gateway network, docker_gwbridge, is an interface on the host named docker_gwbridge by default: two swarm
    /// engines on one host would share it, and the first to stop would delete it from under the other (whose containers'
    /// traffic then follows the host's default route). Made before the swarm, it gets an interface and a subnet of its own.
    /// </summary>
    private static async Task CreateGatewayBridgeAsync(DockerClient docker)
    {
        var id = Guid.NewGuid().ToString("N");
        await docker.Networks.CreateAsync(new NetworkCreateParameters("docker_gwbridge")
        {
            Options = new Dictionary<string, string>
            {
                ["com.docker.network.bridge.name"] = "gwb" + id[..8],
                ["com.docker.network.bridge.enable_icc"] = "false",
                ["com.docker.network.bridge.enable_ip_masquerade"] = "true",
            },
            Subnet = $"10.{Random.Shared.Next(200, 250)}.{Random.Shared.Next(0, 256)}.0/24",
        });
    }

    /// <summary>
    /// The swarm's gossip port is 7946 whatever the engine; when another swarm on this host holds it on
    /// 127.0.0.1, ours advertises on ::1, or its DNS would know no service.
    /// </summary>
    private static string GossipAddress()
    {
        try
        {
            using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 7946);
            probe.Start();
            return "127.0.0.1";
        }
        catch (System.Net.Sockets.SocketException)
        {
            return "[::1]";
        }
    }

    private static string Script => RepositoryFiles.PathOf("docker/scripts/engine.sh");

    private ProcessOptions Options(TimeSpan timeout) =>
        new() { Environment = new Dictionary<string, string?> { ["SLIPWAY_ENGINE_DIR"] = folder }, Timeout = timeout };
}
