using System.Diagnostics;
using Slipway.Delivery.Images;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Tests.Images;

/// <summary>
/// The shipped API image, built with the repository's own plan and Dockerfile from the seeded mirror
/// (docker/scripts/seed-base-images.sh, see <see cref="TestApiImage"/>), then run on the real engine.
/// </summary>
public sealed class ApiImageTests
{
    [RegistryFact]
    public async Task Api_image_builds_from_the_mirror_runs_as_non_root_and_turns_healthy()
    {
        using var docker = new DockerClient();

        var result = await TestApiImage.EnsureAsync(docker);

        var image = await docker.Images.InspectAsync(result.Reference);
        Assert.Equal("1654", image.Config!.User);
        Assert.NotNull(image.Config.Healthcheck?.Test);
        Assert.Equal("0.1.0", image.Labels["org.opencontainers.image.version"]);
        Assert.Equal(result.InputsHash, image.Labels[InputsHash.Label]);
        Assert.True(image.Labels.ContainsKey("org.opencontainers.image.revision"));
        Assert.True(image.Labels.ContainsKey("org.opencontainers.image.created"));
        Assert.DoesNotContain(image.Config.Env ?? [], e => e.StartsWith("DOTNET_SKIP_FIRST_TIME_EXPERIENCE", StringComparison.Ordinal));

        // The engine runs with --bridge=none: publishing a port needs a user-defined network.
        var network = await docker.Networks.CreateAsync(new NetworkCreateParameters($"slipway-test-api-{Guid.NewGuid():N}"));
        var id = await docker.Containers.CreateAsync(new ContainerSpec
        {
            Image = result.Reference,
            Networks = [new NetworkAttachment(network, [])],
            // The app validates these at start-up; /health does not need either server.
            Env = new Dictionary<string, string> { ["DATABASE_URL"] = "postgres://u:p@db:5432/x", ["REDIS_URL"] = "redis://cache:6379" },
            Ports = [new PortBinding(8080)],
        });
        try
        {
            await docker.Containers.StartAsync(id);
            var port = (await docker.Containers.InspectAsync(id)).HostPort(8080) ?? throw new InvalidOperationException("8080 not published");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var clock = Stopwatch.StartNew();
            string? health = null;
            while (clock.Elapsed < TimeSpan.FromSeconds(120) && health != "healthy")
            {
                await Task.Delay(1000);
                var state = (await docker.Containers.InspectAsync(id)).State;
                Assert.True(state.Running, $"container exited: {(await docker.Containers.LogsAsync(id)).StandardError}");
                health = state.Health?.Status;
            }

            Assert.Equal("healthy", health);
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health"));
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            // The image stays (same tag every run), so the next run reuses it through the inputs hash.
            await docker.Containers.RemoveAsync(id, force: true);
            await docker.Networks.RemoveAsync(network);
        }
    }
}
