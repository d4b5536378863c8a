using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Api.Tests.Support;

namespace Api.Tests;

/// <summary>
/// `dotnet publish -p:AppVersion=...` (what docker/api.Dockerfile runs) must change what /health and
/// /version report. Publishes a copy of src/Api in a temporary folder, so the tested build's own
/// obj/ and bin/ are left alone, then runs the published Api.dll.
/// </summary>
public sealed class VersionStampTests : IDisposable
{
    private readonly string workspace = Directory.CreateTempSubdirectory("slipway-api-version-").FullName;

    public void Dispose() => Directory.Delete(workspace, recursive: true);

    [Fact]
    public async Task Publish_with_AppVersion_stamps_the_version_that_health_and_version_report()
    {
        const string version = "1.4.0-3f2c1ab";
        var repository = RepositoryRoot();
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json", ".editorconfig" })
            File.Copy(Path.Combine(repository, file), Path.Combine(workspace, file));
        // What docker/api.Dockerfile copies: the app and the migrator it references.
        foreach (var project in new[] { "Api", "Slipway.Migrations" })
            CopySources(Path.Combine(repository, "src", project), Path.Combine(workspace, "src", project));
        var output = Path.Combine(workspace, "out");

        var (exitCode, log) = await RunAsync("dotnet", "publish", Path.Combine(workspace, "src", "Api"), "-c", "Release", $"-p:AppVersion={version}", "-o", output);
        Assert.True(exitCode == 0, log);
        // `dotnet Api.dll migrate` (the deploy's release phase) applies the migrations published next to it.
        Assert.True(File.Exists(Path.Combine(output, "Migrations", "0001_create_users.up.sql")), "Migrations/*.sql are not published");

        var port = FreePort.Next();
        using var api = ApiProcess.Start(
            Path.Combine(output, "Api.dll"),
            new Dictionary<string, string> { ["DATABASE_URL"] = "postgres://u:p@127.0.0.1:1/unused", ["REDIS_URL"] = "redis://127.0.0.1:1" },
            "--urls", $"http://127.0.0.1:{port}");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await ProcessTests.WaitUntilHealthyAsync(client, api);

        Assert.Equal(version, (await client.GetFromJsonAsync<JsonElement>("/health")).GetProperty("version").GetString());
        Assert.Equal(version, (await client.GetFromJsonAsync<JsonElement>("/version")).GetProperty("version").GetString());
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props")))
                return dir.FullName;
        }

        throw new InvalidOperationException("repository root (Directory.Packages.props) not found above " + AppContext.BaseDirectory);
    }

    private static void CopySources(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj")
                continue;
            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static async Task<(int ExitCode, string Log)> RunAsync(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // The test host inherits MSBuild variables from `dotnet test`; a nested build must not see them.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(name);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}

public sealed class ReleaseVersionTests
{
    [Theory]
    [InlineData("0.1.0+3f2c1ab", "0.1.0+3f2c1ab")]
    [InlineData(" 2.0.0+abcdef0 ", "2.0.0+abcdef0")]
    public void A_deployed_release_names_the_version_health_reports(string release, string expected) =>
        Assert.Equal(expected, Api.Health.AppVersion.Resolve(release));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Without_a_release_the_stamped_version_is_reported(string? release) =>
        Assert.Equal(Api.Health.AppVersion.Stamped, Api.Health.AppVersion.Resolve(release));
}
