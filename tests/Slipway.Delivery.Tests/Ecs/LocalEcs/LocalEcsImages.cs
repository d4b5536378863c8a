using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.Delivery.Tests.Images;
using Slipway.Testing;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Tests.Ecs.LocalEcs;

/// <summary>
/// Tiny images for the plane's tasks, pushed to the test registry (basic auth): nginx (the seeded base) answering
/// /health and /version on 8080, healthy or not. Removed from the engine on dispose.
/// </summary>
internal sealed class LocalEcsImages : IAsyncDisposable
{
    public const int Port = 8080;
    private readonly DockerClient docker = new();
    private readonly List<string> pushed = [];
    private readonly string repository;

    public LocalEcsImages(string project)
    {
        Auth = new RegistryAuth(RealServers.RegistryUser ?? "AWS", RealServers.RegistryPassword ?? "", RealServers.Registry ?? "127.0.0.1:5000");
        repository = $"{Auth.ServerAddress}/{project}/app";
    }

    /// <summary>The test registry's credentials: what the plane's execution role pulls with.</summary>
    public RegistryAuth Auth { get; }

    /// <summary>
    /// The container health check ECS runs for these images, in seconds as ECS takes them: ECS's shortest interval, its
    /// default timeout and retries (terraform's too), and a start period (terraform's is 20 s) for the API starting on a
    /// loaded test engine. With one retry of 2 s, one slow check stopped healthy tasks: CI once saw the load balancer left
    /// without targets mid-deploy.
    /// </summary>
    public static System.Text.Json.Nodes.JsonObject HealthCheck => new()
    {
        // The seeded base has bash but neither wget nor curl.
        ["command"] = new System.Text.Json.Nodes.JsonArray("CMD", "bash", "-c", $"exec 3<>/dev/tcp/127.0.0.1/{Port} && printf 'GET /health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"),
        ["interval"] = 5,
        ["timeout"] = 5,
        ["retries"] = 3,
        ["startPeriod"] = 10,
    };

    /// <summary>Builds and pushes the app reporting <paramref name="version"/>; returns its reference by digest.</summary>
    public async Task<string> PushAppAsync(string version, bool healthy = true)
    {
        var folder = Directory.CreateTempSubdirectory("slipway-ecs-app-").FullName;
        try
        {
            // The deploy tests' tiny stand-in for the API, listening on Port.
            File.Copy(RepositoryFiles.PathOf($"{DeployTestStack.Folder}/app.Dockerfile"), Path.Combine(folder, "Dockerfile"));
            await File.WriteAllTextAsync(Path.Combine(folder, "app.conf"), DeployTestStack.AppConfiguration(version, healthy));
            await using (var context = await BuildContext.CreateAsync(folder, "Dockerfile"))
                await docker.Images.BuildAsync(context.Archive, new ImageBuildParameters { Tags = [$"{repository}:{version}"], BuildArgs = new Dictionary<string, string> { ["BASE"] = "nginx:1.25-alpine" } });
            var result = await docker.Images.PushAsync(repository, version, Auth);
            pushed.Add($"{repository}:{version}");
            pushed.Add($"{repository}@{result.Digest}");
            return $"{repository}@{result.Digest}";
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var tag in pushed)
        {
            try
            {
                await docker.Images.RemoveAsync(tag, force: true);
            }
            catch (DockerApiException)
            {
            }
        }

        docker.Dispose();
    }
}
