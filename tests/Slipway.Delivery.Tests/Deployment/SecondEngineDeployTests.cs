using Slipway.Delivery.Deployment;
using Slipway.Delivery.Deployment.SmokeTests;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.Delivery.Tests.Images;
using Slipway.Tools.Docker;
using Slipway.Tools.Processes;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>
/// "staging" on a second Docker engine (docker/scripts/engine.sh, as the local bootstrap starts it),
/// reached as a remote one over tcp with TLS both ways: a fresh target that has only what it pulls
/// from the registry, with auth. Exec, archive and log streams of the deploy all go over that TLS.
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class SecondEngineDeployTests
{
    [RegistryFact]
    public async Task A_fresh_second_engine_reached_over_tcp_and_tls_pulls_everything_with_auth_and_serves_the_release()
    {
        Assert.True(ProcessRunner.Resolve("dockerd") is not null, "dockerd (Debian's docker.io) is needed to start a second engine");
        var folder = Directory.CreateTempSubdirectory("slipway-engine-").FullName;
        var certs = Directory.CreateTempSubdirectory("slipway-engine-certs-").FullName;
        var foreign = Directory.CreateTempSubdirectory("slipway-engine-foreign-").FullName;
        EngineCertificates.Write(certs);
        EngineCertificates.Write(foreign);
        var port = DeployTestStack.FreePort();
        var script = RepositoryFiles.PathOf("docker/scripts/engine.sh");
        var scriptEnvironment = new Dictionary<string, string?>
        {
            ["SLIPWAY_ENGINE_DIR"] = folder,
            ["SLIPWAY_ENGINE_TLS_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SLIPWAY_ENGINE_TLS_DIR"] = certs,
        };
        try
        {
            await ProcessRunner.RunAsync("bash", [script, "start"], new ProcessOptions { Environment = scriptEnvironment, Timeout = TimeSpan.FromMinutes(2) });
            // As staging and prod reach their engines: tcp, TLS both ways, a client certificate from the engine's CA.
            var endpoint = DockerEndpoint.Parse($"tcp://127.0.0.1:{port}", certs);
            Assert.True(endpoint.UseTls);

            // A client whose certificate and CA are another's neither trusts the engine nor is trusted by it.
            using (var stranger = new DockerClient(DockerEndpoint.Parse($"tcp://127.0.0.1:{port}", foreign)))
                await Assert.ThrowsAsync<DockerEngineUnreachableException>(() => stranger.System.PingAsync());

            await using var stack = await DeployTestStack.CreateAsync(endpoint);
            var v1 = await stack.PushAppAsync("1.0.0+aaaaaaa");
            Assert.Null(await stack.Docker.Images.TryInspectAsync(v1));

            var log = new List<string>();
            var result = await stack.DeployAsync("1.0.0+aaaaaaa", v1, log);

            Assert.Equal(Colours.Blue, result.ToColour);
            Assert.Contains(log, l => l.StartsWith($"pulled {v1}", StringComparison.Ordinal));
            Assert.Contains(log, l => l.StartsWith($"pulled {stack.Environment.Compose.Variables["NGINX_IMAGE"]}", StringComparison.Ordinal));
            Assert.NotNull(await stack.Docker.Images.TryInspectAsync(v1));
            Assert.Empty(await stack.Builder.Containers.ListAsync([$"org.slipway.stack={stack.Environment.Names.Stack}"]));
            var smoke = await SmokeTester.RunAsync(SingleHostDeployer.PublicSmokeTarget(stack.Environment, "1.0.0+aaaaaaa"));
            Assert.True(smoke.Passed, smoke.Table());
        }
        finally
        {
            await ProcessRunner.RunAsync("bash", [script, "stop"], new ProcessOptions { Environment = scriptEnvironment, Timeout = TimeSpan.FromMinutes(1) });
            await ProcessRunner.RunAsync("rm", ["-rf", folder, certs, foreign], new ProcessOptions { Timeout = TimeSpan.FromMinutes(2) });
        }
    }
}
