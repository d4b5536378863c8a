using System.Diagnostics;
using System.Net;
using Slipway.Tools.Docker;
using Slipway.Tools.Tests.Docker.Fronts;

namespace Slipway.Tools.Tests.Docker;

/// <summary>
/// The client against both kinds of engine it meets: Debian's dockerd 20.10 (API 1.41, the shared engine at
/// DOCKER_HOST) and Docker 29 (API 1.52, no client below 1.44), the latter replayed by <see cref="Docker29Front"/>
/// in front of the real engine; and against a hung engine, which must not hang the caller.
/// </summary>
public sealed class EngineVersionTests : IDisposable
{
    private readonly string unique = Guid.NewGuid().ToString("N")[..10];
    private readonly List<string> directories = [];

    [DockerFact]
    public async Task Against_the_shared_engine_the_version_is_its_own_1_41_on_debian_20_10()
    {
        using var docker = new DockerClient();

        var engine = await docker.System.VersionAsync();
        var agreed = await docker.ApiVersionAsync();

        Assert.Equal(engine.ApiVersion, agreed);
        if (engine.Version.StartsWith("20.10.", StringComparison.Ordinal))
            Assert.Equal("1.41", agreed);
    }

    /// <summary>The double itself: an unnegotiated 1.41 client gets Docker 29's refusal, word for word.</summary>
    [DockerFact]
    public async Task The_docker_29_front_refuses_a_1_41_client_as_docker_29_does()
    {
        await using var front = new Docker29Front(RealServers.DockerHost);
        using var http = new HttpClient { BaseAddress = new Uri(front.Address.Replace("tcp://", "http://", StringComparison.Ordinal)) };

        using var old = await http.GetAsync("/v1.41/containers/json");
        using var ping = await http.GetAsync("/_ping");

        Assert.Equal(HttpStatusCode.BadRequest, old.StatusCode);
        Assert.Equal(
            """{"message":"client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version"}""",
            await old.Content.ReadAsStringAsync());
        Assert.Equal("1.52", Assert.Single(ping.Headers.GetValues("Api-Version")));
    }

    [DockerFact]
    public async Task Through_a_docker_29_engine_the_client_negotiates_1_52_and_does_real_work()
    {
        await using var front = new Docker29Front(RealServers.DockerHost);
        using var docker = new DockerClient(DockerEndpoint.Parse(front.Address));
        await TinyImage.EnsureAsync(docker);

        await docker.System.PingAsync();
        var engine = await docker.System.VersionAsync();
        var agreed = Version.Parse(await docker.ApiVersionAsync());
        Assert.Equal(("29.0.0", "1.44"), (engine.Version, engine.MinAPIVersion));
        Assert.True(agreed >= new Version(1, 44), $"agreed {agreed}");
        Assert.Equal(new Version(1, 52), agreed);

        var dir = TinyImage.CreateContext($"FROM {TinyImage.Name}\nRUN [\"/bin/sh\", \"-c\", \"echo built through 29 > /front.txt\"]\n");
        directories.Add(dir);
        var tag = $"slipway-test/front:{unique}";
        await using var context = await BuildContext.CreateAsync(dir, "Dockerfile");
        var imageId = await docker.Images.BuildAsync(context.Archive, new ImageBuildParameters { Tags = [tag] });
        try
        {
            Assert.Equal(imageId, (await docker.Images.InspectAsync(tag)).Id);
            var id = await docker.Containers.CreateAsync(new ContainerSpec
            {
                Image = tag,
                Name = $"slipway-front-{unique}",
                Cmd = ["/bin/sleep", "60"],
                Labels = new Dictionary<string, string> { ["io.slipway.test"] = unique },
            });
            try
            {
                await docker.Containers.StartAsync(id);
                Assert.True((await docker.Containers.InspectAsync(id)).State.Running);
                Assert.Equal(id, Assert.Single(await docker.Containers.ListAsync([$"io.slipway.test={unique}"])).Id);
                var exec = await docker.Containers.ExecAsync(id, ["/bin/cat", "/front.txt"]);
                Assert.Equal((0, "built through 29\n"), (exec.ExitCode, exec.StandardOutput));
            }
            finally
            {
                await docker.Containers.RemoveAsync(id, force: true);
            }

            Assert.Null(await docker.Containers.TryInspectAsync(id));
        }
        finally
        {
            await docker.Images.RemoveAsync(tag, force: true);
        }

        var versioned = front.Paths.Where(p => p.StartsWith("/v1.", StringComparison.Ordinal)).ToArray();
        Assert.Contains(versioned, p => p.StartsWith("/v1.52/containers/create", StringComparison.Ordinal));
        Assert.Contains(versioned, p => p.StartsWith("/v1.52/build", StringComparison.Ordinal));
        Assert.All(versioned, p => Assert.StartsWith("/v1.52/", p, StringComparison.Ordinal));
    }

    [DockerFact]
    public async Task Over_tls_the_engine_certificate_must_chain_to_ca_pem_and_name_the_host()
    {
        using var certificates = new TestCertificates();
        await using var named = new Docker29Front(RealServers.DockerHost, certificates.Server(IPAddress.Loopback, "localhost"));
        await using var misnamed = new Docker29Front(RealServers.DockerHost, certificates.Server(null, "elsewhere.example"));
        using var docker = new DockerClient(DockerEndpoint.Parse(named.Address, certificates.CertPath));
        using var wrongHost = new DockerClient(DockerEndpoint.Parse(misnamed.Address, certificates.CertPath));

        await docker.System.PingAsync();
        Assert.Equal("1.52", await docker.ApiVersionAsync());
        Assert.NotNull(await docker.Containers.ListAsync([$"io.slipway.test={unique}"]));
        // Same CA, so the library's own check (the chain only) would accept it; ours also wants the host's name.
        var refused = await Assert.ThrowsAsync<DockerEngineUnreachableException>(() => wrongHost.System.PingAsync());
        Assert.Equal($"Docker engine not reachable at {misnamed.Address}: start Docker or set DOCKER_HOST", refused.Message);
    }

    [Fact]
    public async Task A_hung_engine_fails_the_call_within_its_timeout_in_one_line()
    {
        await using var hung = new SilentFront();
        using var docker = new DockerClient(DockerEndpoint.Parse(hung.Address), new DockerTimeouts(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)));
        var clock = Stopwatch.StartNew();

        var ping = await Assert.ThrowsAsync<DockerTimeoutException>(() => docker.System.PingAsync());
        var pingTook = clock.Elapsed;
        clock.Restart();
        var wait = await Assert.ThrowsAsync<DockerTimeoutException>(() => docker.Containers.WaitAsync("anything"));
        var waitTook = clock.Elapsed;

        Assert.Equal($"Docker engine at {hung.Address} did not finish ping within 1 s: check that the engine is healthy (docker info)", ping.Message);
        Assert.InRange(pingTook, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        Assert.StartsWith($"Docker engine at {hung.Address} did not finish docker wait anything within 2 s", wait.Message, StringComparison.Ordinal);
        Assert.InRange(waitTook, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(10));
        Assert.True(hung.Connections >= 2, $"{hung.Connections} connections");
    }

    [Fact]
    public async Task A_caller_that_cancels_gets_its_cancellation_not_a_timeout()
    {
        await using var hung = new SilentFront();
        using var docker = new DockerClient(DockerEndpoint.Parse(hung.Address));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => docker.System.PingAsync(cancel.Token));
    }

    public void Dispose()
    {
        foreach (var dir in directories)
            Directory.Delete(dir, recursive: true);
    }
}
