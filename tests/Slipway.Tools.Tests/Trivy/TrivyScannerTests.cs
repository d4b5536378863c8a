using Slipway.Tools.Trivy;

namespace Slipway.Tools.Tests.Trivy;

// Trivy cannot be installed in this environment: these tests run the scanner end to end against a stub
// `trivy` on PATH (StubTrivy) that replays reports in Trivy's real JSON and SARIF formats.
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class TrivyScannerTests : IDisposable
{
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("slipway-trivy-test-");
    private readonly List<string> log = [];

    private string Tarball()
    {
        var path = Path.Combine(work.FullName, "api.tar");
        File.WriteAllBytes(path, [1, 2, 3]);
        return path;
    }

    [Fact]
    public async Task Scans_the_saved_tarball_to_json_then_converts_that_json_to_sarif()
    {
        using var trivy = StubTrivy.Replaying(TrivyTestData.Fixture("slipway-api.json"), TrivyTestData.Fixture("slipway-api.sarif"));
        var tarball = Tarball();
        var output = Path.Combine(work.FullName, "reports");

        var scan = await new TrivyScanner(searchPath: trivy.SearchPath).ScanImageTarballAsync(tarball, output, "api", log.Add, CancellationToken.None);

        var json = Path.Combine(output, "api.trivy.json");
        var sarif = Path.Combine(output, "api.trivy.sarif");
        Assert.Equal(
            [$"image --input {tarball} --format json --output {json}", $"convert --format sarif --output {sarif} {json}"],
            trivy.Calls);
        Assert.Equal((json, sarif, tarball), (scan.JsonReportPath, scan.SarifReportPath, scan.ImageTarball));
        Assert.Equal(6, scan.Report.AllVulnerabilities.Count());
        Assert.Equal(File.ReadAllText(TrivyTestData.Fixture("slipway-api.sarif")), File.ReadAllText(sarif));
        Assert.Contains("INFO [vuln] Vulnerability scanning is enabled", log); // Trivy's own output is streamed
    }

    [Fact]
    public async Task Trivy_gets_a_minimal_environment_without_aws_or_github_credentials()
    {
        using var trivy = StubTrivy.Replaying(TrivyTestData.Fixture("clean.json"), TrivyTestData.Fixture("slipway-api.sarif"));
        using var scope = new EnvironmentScope()
            .Set("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE").Set("AWS_SECRET_ACCESS_KEY", "secret").Set("AWS_SESSION_TOKEN", "token")
            .Set("AWS_WEB_IDENTITY_TOKEN_FILE", "/tmp/token").Set("AWS_PROFILE", "prod")
            .Set("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "oidc-request-token").Set("ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:1/token")
            .Set("GITHUB_TOKEN", "ghs_secret").Set("TRIVY_CACHE_DIR", work.FullName);

        await new TrivyScanner(searchPath: trivy.SearchPath).ScanImageTarballAsync(Tarball(), work.FullName, "api", log.Add, CancellationToken.None);

        Assert.Contains("TRIVY_CACHE_DIR", trivy.EnvironmentNames);
        Assert.Contains("PATH", trivy.EnvironmentNames);
        Assert.DoesNotContain(trivy.EnvironmentNames, name =>
            name.StartsWith("AWS_", StringComparison.Ordinal) || name.StartsWith("ACTIONS_ID_TOKEN_", StringComparison.Ordinal) || name == "GITHUB_TOKEN");
    }

    [Fact]
    public async Task Missing_trivy_names_the_tool_and_how_to_install_it()
    {
        var empty = work.CreateSubdirectory("empty-path").FullName;

        var error = await Assert.ThrowsAsync<TrivyNotFoundException>(
            () => new TrivyScanner(searchPath: empty).ScanImageTarballAsync(Tarball(), work.FullName, "api", log.Add, CancellationToken.None));

        Assert.StartsWith("trivy not found", error.Message, StringComparison.Ordinal);
        Assert.Contains("install the version CI uses with sudo docker/scripts/install-trivy.sh (its SHA-256 verified)", error.Message, StringComparison.Ordinal);
        Assert.Null(new TrivyScanner(searchPath: empty).Locate());
    }

    [Fact]
    public async Task A_failing_trivy_is_reported_with_its_exit_code_and_its_output_is_logged()
    {
        using var trivy = StubTrivy.Failing();

        var error = await Assert.ThrowsAsync<TrivyScanFailedException>(
            () => new TrivyScanner(searchPath: trivy.SearchPath).ScanImageTarballAsync(Tarball(), work.FullName, "api", log.Add, CancellationToken.None));

        Assert.Equal("trivy image failed with exit code 1: FATAL Fatal error: init error: DB error: failed to download vulnerability DB", error.Message);
        Assert.Contains(log, line => line.Contains("failed to download vulnerability DB", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_tarball_fails_before_trivy_runs()
    {
        using var trivy = StubTrivy.Replaying(TrivyTestData.Fixture("clean.json"), TrivyTestData.Fixture("slipway-api.sarif"));
        var missing = Path.Combine(work.FullName, "nope.tar");

        var error = await Assert.ThrowsAsync<TrivyScanFailedException>(
            () => new TrivyScanner(searchPath: trivy.SearchPath).ScanImageTarballAsync(missing, work.FullName, "api", log.Add, CancellationToken.None));

        Assert.Contains($"image tarball {missing} does not exist", error.Message, StringComparison.Ordinal);
        Assert.Empty(trivy.Calls);
    }

    public void Dispose() => work.Delete(recursive: true);
}
