using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Slipway.Tools.Registry;

namespace Slipway.Delivery.Tests.Deployment.TestStack;

/// <summary>
/// A registry of the test's own: Debian's docker-registry with htpasswd basic auth, as docker/scripts/registry.sh runs
/// it, on a free loopback port, so its catalog holds exactly what the test pushed. Stopped (by its pid) and removed on dispose.
/// </summary>
internal sealed class PrivateRegistry : IAsyncDisposable
{
    public const string User = "AWS";

    private readonly Process process;
    private readonly string folder;
    private readonly HttpClient http = new();

    private PrivateRegistry(Process process, string folder, string address, string password)
    {
        this.process = process;
        this.folder = folder;
        Address = address;
        Password = password;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{password}")));
    }

    /// <summary>host:port, as image references and the environment file write it.</summary>
    public string Address { get; }

    public string Password { get; }

    public static async Task<PrivateRegistry> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("slipway-registry-").FullName;
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var address = $"127.0.0.1:{DeployTestStack.FreePort()}";
        using (var htpasswd = Process.Start(new ProcessStartInfo("htpasswd", ["-Bbn", User, password]) { RedirectStandardOutput = true })!)
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "htpasswd"), await htpasswd.StandardOutput.ReadToEndAsync());
            await htpasswd.WaitForExitAsync();
        }

        await File.WriteAllTextAsync(Path.Combine(folder, "config.yml"), $$"""
            version: 0.1
            log: { level: warn }
            storage:
              filesystem: { rootdirectory: {{folder}}/data }
              delete: { enabled: true }
            http:
              addr: {{address}}
            auth:
              htpasswd: { realm: slipway-test, path: {{folder}}/htpasswd }
            """);
        var process = Process.Start(new ProcessStartInfo("docker-registry", ["serve", Path.Combine(folder, "config.yml")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var registry = new PrivateRegistry(process, folder, address, password);
        await registry.WaitUntilServingAsync();
        return registry;
    }

    /// <summary>Every repository, tag and the digest it names, one line each, sorted.</summary>
    public async Task<IReadOnlyList<string>> ContentsAsync()
    {
        var credentials = new RegistryCredentials(Address, User, Password);
        var client = new RegistryClient(http);
        var lines = new List<string>();
        using var catalog = JsonDocument.Parse(await http.GetStringAsync($"http://{Address}/v2/_catalog?n=1000"));
        foreach (var repository in catalog.RootElement.GetProperty("repositories").EnumerateArray().Select(r => r.GetString()!).Order(StringComparer.Ordinal))
        {
            using var tags = JsonDocument.Parse(await http.GetStringAsync($"http://{Address}/v2/{repository}/tags/list"));
            var names = tags.RootElement.GetProperty("tags") is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray().Select(t => t.GetString()!) : [];
            foreach (var tag in names.Order(StringComparer.Ordinal))
                lines.Add($"{repository}:{tag} {await client.GetManifestDigestAsync(new ImageReference(Address, repository, tag), credentials, CancellationToken.None)}");
            if (!names.Any())
                lines.Add($"{repository} (no tags)");
        }

        return lines;
    }

    private async Task WaitUntilServingAsync()
    {
        using var anonymous = new HttpClient();
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (process.HasExited)
                break;
            try
            {
                using var response = await anonymous.GetAsync($"http://{Address}/v2/");
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                    return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"docker-registry did not serve {Address} (exited: {process.HasExited})");
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
            process.Kill();
        await process.WaitForExitAsync();
        process.Dispose();
        http.Dispose();
        Directory.Delete(folder, recursive: true);
    }
}
