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

    /// <summary>The container health check ECS runs for these images (seconds as ECS takes them; 5 s is ECS's shortest interval).</summary>
    public static System.Text.Json.Nodes.JsonObject HealthCheck => new()
    {
        // The seeded base has bash but neither wget nor curl.
        ["command"] = new System.Text.Json.Nodes.JsonArray("CMD", "bash", "-c", $"exec 3<>/dev/tcp/127.0.0.1/{Port} && printf 'GET /health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"),
        ["interval"] = 5,
        ["timeout"] = 2,
        ["retries"] = 1,
        ["startPeriod"] = 0,
    };

    /// <summary>Builds and pushes the app reporting <paramref name="version"/>; returns its reference by digest.</summary>
    public async Task<string> PushAppAsync(string version, bool healthy = true)
    {
        var folder = Directory.CreateTempSubdirectory("slipway-ecs-app-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "Dockerfile"), """
                FROM nginx:1.25-alpine
                COPY app.conf /etc/app/app.conf
                STOPSIGNAL SIGQUIT
                CMD ["nginx", "-c", "/etc/app/app.conf", "-g", "daemon off;"]

                """);
            var health = healthy ? $"return 200 '{{\"status\":\"healthy\",\"version\":\"{version}\"}}';" : "return 500 '{\"status\":\"unhealthy\"}';";
            await File.WriteAllTextAsync(Path.Combine(folder, "app.conf"), $$"""
                pid /tmp/app.pid;
                error_log stderr warn;
                events { worker_connections 256; }
                http {
                    access_log off;
                    client_body_temp_path /tmp/b; proxy_temp_path /tmp/p; fastcgi_temp_path /tmp/f; uwsgi_temp_path /tmp/u; scgi_temp_path /tmp/s;
                    server {
                        listen {{Port}};
                        default_type application/json;
                        location = /health { {{health}} }
                        location = /version { return 200 '{"version":"{{version}}"}'; }
                    }
                }

                """);
            await using (var context = await BuildContext.CreateAsync(folder, "Dockerfile"))
                await docker.Images.BuildAsync(context.Archive, new ImageBuildParameters { Tags = [$"{repository}:{version}"] });
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
