using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Slipway.Stack.Tests.Infrastructure;
using Slipway.Stack.Tests.Nginx;

namespace Slipway.Stack.Tests.Compose;

/// <summary>
/// `docker-compose up` of the base + test files on the real engine (DOCKER_HOST): every service reaches
/// healthy, and the API answers through nginx over TLS with its database and Redis connected.
/// Needs the base images seeded by docker/scripts/seed-base-images.sh; builds our two images itself.
/// </summary>
public sealed class StackUpTests
{
    private const string ApiVersion = "0.0.0-stack-test";
    private static readonly TimeSpan HealthyWithin = TimeSpan.FromMinutes(4);

    [DockerFact]
    public async Task The_stack_comes_up_healthy_and_serves_through_nginx()
    {
        if (!ToolFactAttribute.OnPath("docker-compose"))
            throw new InvalidOperationException("docker-compose is not on PATH: run docker/scripts/install.sh test (Debian package docker-compose)");
        var mirror = RealServers.Registry ?? "127.0.0.1:5000";
        await RequireBaseImagesAsync(mirror);
        await BuildAsync("docker/nginx.Dockerfile", "nginx", "slipway/nginx:stack-test", $"NGINX_BASE={mirror}/library/{BaseImage("nginx")}");
        await BuildAsync("docker/api.Dockerfile", ".", "slipway/api:stack-test",
            $"SDK_IMAGE={mirror}/{WithoutRegistry(BaseImage("sdk"))}", $"RUNTIME_IMAGE={mirror}/{WithoutRegistry(BaseImage("aspnet"))}", $"APP_VERSION={ApiVersion}");

        var certificates = Directory.CreateTempSubdirectory("slipway-stack-certs-").FullName;
        var project = $"slipway-stack-{Guid.NewGuid():N}"[..22];
        int httpPort = FreePort.Next(), httpsPort = FreePort.Next();
        var envFile = ComposeFiles.WriteEnvFile(new Dictionary<string, string?>
        {
            ["IMAGE_MIRROR"] = mirror,
            ["API_IMAGE"] = "slipway/api:stack-test",
            ["NGINX_IMAGE"] = "slipway/nginx:stack-test",
            ["NGINX_BIND_ADDRESS"] = "127.0.0.1",
            ["NGINX_HTTP_PORT"] = httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["NGINX_HTTPS_PORT"] = httpsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["NGINX_CERTS_DIR"] = certificates,
            ["POSTGRES_PASSWORD"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
        });
        List<string> compose = ["--env-file", envFile, "-p", project, .. ComposeFiles.FileArguments(["test"])];
        try
        {
            await RunAsync("bash", [RepositoryRoot.Combine("nginx", "gen-certs.sh"), certificates], TimeSpan.FromMinutes(1));
            await RunAsync("docker-compose", [.. compose, "up", "-d", "--no-build"], TimeSpan.FromMinutes(5));
            await WaitUntilHealthyAsync(compose);

            using var authority = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(certificates, "ca.crt"));
            using var client = EdgeClient.Create(authority);
            using var health = await client.GetAsync(new Uri($"https://localhost:{httpsPort}/health"));
            using var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal(ApiVersion, body.RootElement.GetProperty("version").GetString());
            foreach (var dependency in new[] { "/api/health/db", "/api/health/redis" })
            {
                using var check = await client.GetAsync(new Uri($"https://localhost:{httpsPort}{dependency}"));
                Assert.True(check.StatusCode == HttpStatusCode.OK, $"{dependency}: {(int)check.StatusCode} {await check.Content.ReadAsStringAsync()}");
            }

            using var landing = await client.GetAsync(new Uri($"https://localhost:{httpsPort}/"));
            Assert.Equal(HttpStatusCode.OK, landing.StatusCode);
            Assert.Contains("<title>Slipway</title>", await landing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var redirect = await client.GetAsync(new Uri($"http://localhost:{httpPort}/health"));
            Assert.Equal(HttpStatusCode.MovedPermanently, redirect.StatusCode);
        }
        finally
        {
            await Command.RunAsync("docker-compose", [.. compose, "down", "-v", "--remove-orphans"], TimeSpan.FromMinutes(3), workingDirectory: ComposeFiles.Directory);
            File.Delete(envFile);
            Directory.Delete(certificates, recursive: true);
        }
    }

    private static async Task WaitUntilHealthyAsync(List<string> compose)
    {
        var deadline = DateTime.UtcNow + HealthyWithin;
        var states = "";
        while (DateTime.UtcNow < deadline)
        {
            var ids = await RunAsync("docker-compose", [.. compose, "ps", "-q"], TimeSpan.FromMinutes(1));
            var containers = ids.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var inspect = await RunAsync("docker", ["inspect", "-f", "{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}no-healthcheck{{end}}", .. containers], TimeSpan.FromMinutes(1));
            states = inspect.StandardOutput.Trim();
            var lines = states.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length == 4 && lines.All(line => line.EndsWith(" running healthy", StringComparison.Ordinal)))
                return;
            if (lines.Any(line => line.Contains(" exited ", StringComparison.Ordinal) || line.EndsWith(" unhealthy", StringComparison.Ordinal)))
                break;
            await Task.Delay(TimeSpan.FromSeconds(2));
        }

        var logs = await Command.RunAsync("docker-compose", [.. compose, "logs", "--no-color", "--tail", "30"], TimeSpan.FromMinutes(1), workingDirectory: ComposeFiles.Directory);
        throw new Xunit.Sdk.XunitException($"the stack did not become healthy:\n{states}\n{logs.StandardOutput}{logs.StandardError}");
    }

    private static async Task RequireBaseImagesAsync(string mirror)
    {
        foreach (var image in new[] { $"{mirror}/library/{BaseImage("postgres")}", $"{mirror}/library/{BaseImage("redis")}", $"{mirror}/library/{BaseImage("nginx")}", $"{mirror}/{WithoutRegistry(BaseImage("aspnet"))}", $"{mirror}/{WithoutRegistry(BaseImage("sdk"))}" })
        {
            var inspect = await Command.RunAsync("docker", ["image", "inspect", "-f", "{{.Id}}", image], TimeSpan.FromMinutes(1));
            if (!inspect.Succeeded)
                throw new InvalidOperationException($"base image {image} is not in the engine: run docker/scripts/seed-base-images.sh first");
        }
    }

    private static Task BuildAsync(string dockerfile, string context, string tag, params string[] buildArgs) =>
        RunAsync("docker", ["build", "-q", "-f", RepositoryRoot.Combine(dockerfile), "-t", tag, .. buildArgs.SelectMany(a => new[] { "--build-arg", a }), RepositoryRoot.Combine(context)], TimeSpan.FromMinutes(20));

    private static async Task<CommandResult> RunAsync(string file, List<string> arguments, TimeSpan timeout)
    {
        var result = await Command.RunAsync(file, arguments, timeout, workingDirectory: ComposeFiles.Directory);
        Assert.True(result.Succeeded, result.Describe());
        return result;
    }

    private static string BaseImage(string name)
    {
        using var pinned = JsonDocument.Parse(File.ReadAllText(RepositoryRoot.Combine("docker", "base-images.json")));
        return pinned.RootElement.GetProperty(name).GetString()!;
    }

    private static string WithoutRegistry(string reference) => reference[(reference.IndexOf('/', StringComparison.Ordinal) + 1)..];
}
