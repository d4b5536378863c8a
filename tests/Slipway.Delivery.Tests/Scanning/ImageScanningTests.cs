using System.Runtime.Versioning;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Scanning;
using Slipway.Tools.Trivy;

namespace Slipway.Delivery.Tests.Scanning;

// Trivy cannot be installed here: these tests put a stub `trivy` on the scanner's PATH that replays reports in
// Trivy's real JSON and SARIF formats (the fixtures), chosen by the name of the tarball being scanned.
[UnsupportedOSPlatform("windows")]
public sealed class ImageScanningTests : IDisposable
{
    private static readonly DateOnly Today = new(2025, 1, 20);
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("slipway-scan-test-");
    private readonly List<string> log = [];

    private string StubTrivyOnPath()
    {
        var bin = work.CreateSubdirectory("bin").FullName;
        var script = Path.Combine(bin, "trivy");
        File.WriteAllText(script, $$"""
            #!/usr/bin/env bash
            set -euo pipefail
            command=$1; shift
            output=""; input=""; last=""
            while [ $# -gt 0 ]; do
              case $1 in --output) output=$2; shift 2 ;; --input) input=$2; shift 2 ;; *) last=$1; shift ;; esac
            done
            case $command in
              image) cp "{{TrivyReports.Fixtures}}/$(basename "$input" .tar).json" "$output" ;;
              convert) cp "{{TrivyReports.Fixtures}}/slipway-api.sarif" "$output" ;;
            esac
            """);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
    }

    private ImageToScan Saved(string image, string fixture)
    {
        var tarball = Path.Combine(work.FullName, fixture + ".tar");
        File.WriteAllBytes(tarball, [0]);
        return new ImageToScan(image, tarball);
    }

    [Fact]
    public async Task Scans_every_image_judges_it_and_logs_the_table()
    {
        var scanning = new ImageScanning(new TrivyScanner(searchPath: StubTrivyOnPath()));
        var reports = Path.Combine(work.FullName, "reports");

        var result = await scanning.ScanAsync(
            [Saved("slipway/api:1.4.0", "slipway-api"), Saved("slipway/migrator:1.4.0", "clean")],
            new ScanPolicy(), TrivyRequirement.Required, reports, Today, log.Add, CancellationToken.None);

        Assert.False(result.Skipped);
        Assert.Equal([false, true], result.Images.Select(i => i.Passed));
        Assert.Equal(Path.Combine(reports, "slipway-api-1.4.0.trivy.json"), result.Images[0].JsonReport);
        Assert.True(File.Exists(result.Images[0].SarifReport));
        Assert.Contains(result.Table[0], log);
        Assert.Contains("slipway/api:1.4.0: 5 finding(s) failed the gate", log);

        var error = Assert.Throws<DeliveryException>(() => result.EnsurePassed(ScanPolicy.DefaultGate));
        Assert.Equal(
            "image scan gate (CRITICAL,HIGH) failed for 1 of 2 image(s): slipway/api:1.4.0 (5); fix them or add reviewed IDs with exp: dates to .trivyignore",
            error.Message);
    }

    [Fact]
    public async Task Expired_ignores_are_announced_and_no_longer_ignore()
    {
        var scanning = new ImageScanning(new TrivyScanner(searchPath: StubTrivyOnPath()));
        var policy = new ScanPolicy
        {
            Gate = ScanPolicy.ParseGate("HIGH"),
            Ignores = TrivyIgnoreFile.Parse("CVE-2024-6119 exp:2025-01-01\nCVE-2024-43485 exp:2025-02-01", "/repo/.trivyignore"),
        };

        var result = await scanning.ScanAsync([Saved("api", "slipway-api")], policy, TrivyRequirement.Required, work.FullName, Today, log.Add, CancellationToken.None);

        Assert.Equal(["CVE-2024-6119"], result.Images[0].Failed.Select(f => f.Id));
        Assert.Contains("/repo/.trivyignore:1: ignore of CVE-2024-6119 expired on 2025-01-01; it counts again", log);
    }

    [Fact]
    public async Task Missing_trivy_fails_where_scanning_is_required()
    {
        var scanning = new ImageScanning(new TrivyScanner(searchPath: work.CreateSubdirectory("empty").FullName));

        var error = await Assert.ThrowsAsync<DeliveryException>(() => scanning.ScanAsync(
            [Saved("api", "slipway-api")], new ScanPolicy(), TrivyRequirement.Required, work.FullName, Today, log.Add, CancellationToken.None));

        Assert.StartsWith("trivy not found", error.Message, StringComparison.Ordinal);
        Assert.Contains("install the version CI uses with sudo docker/scripts/install-trivy.sh", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_trivy_warns_and_skips_where_scanning_is_optional()
    {
        var scanning = new ImageScanning(new TrivyScanner(searchPath: work.CreateSubdirectory("empty").FullName));

        var result = await scanning.ScanAsync(
            [Saved("api", "slipway-api")], new ScanPolicy(), TrivyRequirement.Optional, work.FullName, Today, log.Add, CancellationToken.None);

        Assert.True(result.Skipped);
        Assert.Empty(result.Images);
        Assert.StartsWith("warning: trivy not found", Assert.Single(log), StringComparison.Ordinal);
        result.EnsurePassed(ScanPolicy.DefaultGate);
    }

    [Theory]
    [InlineData(EnvironmentName.Local, false, TrivyRequirement.Optional)]
    [InlineData(EnvironmentName.LocalSwarm, false, TrivyRequirement.Optional)]
    [InlineData(EnvironmentName.Local, true, TrivyRequirement.Required)]
    [InlineData(EnvironmentName.LocalSwarm, true, TrivyRequirement.Required)]
    [InlineData(EnvironmentName.Staging, false, TrivyRequirement.Required)]
    [InlineData(EnvironmentName.Prod, false, TrivyRequirement.Required)]
    public void Only_builds_on_this_machine_outside_ci_may_skip_scanning(EnvironmentName environment, bool ci, TrivyRequirement expected) =>
        Assert.Equal(expected, TrivyRequirements.For(environment, ci));

    [Theory]
    [InlineData("127.0.0.1:5000/slipway/api:1.4.0-3f2a9c1", "127.0.0.1-5000-slipway-api-1.4.0-3f2a9c1")]
    [InlineData("api", "api")]
    public void Report_names_are_safe_file_names(string image, string expected) =>
        Assert.Equal(expected, ImageScanning.ReportName(image));

    public void Dispose() => work.Delete(recursive: true);
}
