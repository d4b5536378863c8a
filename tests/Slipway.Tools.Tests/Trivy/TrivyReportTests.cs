using Slipway.Tools.Trivy;

namespace Slipway.Tools.Tests.Trivy;

public sealed class TrivyReportTests
{
    private static Dictionary<TrivySeverity, int> VulnerabilityCounts(TrivyReport report) =>
        report.AllVulnerabilities.GroupBy(v => v.Severity).ToDictionary(g => g.Key, g => g.Count());

    [Fact]
    public void Reads_a_current_schema_2_report_with_its_optional_fields()
    {
        var report = TrivyReport.Load(TrivyTestData.Fixture("slipway-api.json"));

        Assert.Equal(2, report.SchemaVersion);
        Assert.Equal("0193c5a2-5b1e-7a11-8c3d-2f4e6a8b9c01", report.ReportId);
        Assert.Equal("0.58.1", report.Trivy?.Version);
        Assert.Equal("2025-01-14T09:12:44", report.CreatedAt?.UtcDateTime.ToString("s", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("container_image", report.ArtifactType);
        Assert.Equal(3, report.Results.Count);
        Assert.Equal(
            new Dictionary<TrivySeverity, int> { [TrivySeverity.Critical] = 2, [TrivySeverity.High] = 2, [TrivySeverity.Medium] = 1, [TrivySeverity.Low] = 1 },
            VulnerabilityCounts(report));

        var expat = report.AllVulnerabilities.Single(v => v.VulnerabilityId == "CVE-2024-45491");
        Assert.Equal(("libexpat1", "2.5.0-1", "2.5.0-1+deb12u1", "fixed"), (expat.PkgName, expat.InstalledVersion, expat.FixedVersion, expat.Status));
        Assert.Equal("libexpat: Integer Overflow or Wraparound", expat.Title);
        Assert.StartsWith("sha256:", expat.Fingerprint, StringComparison.Ordinal);
        Assert.True(expat.HasFix);
        Assert.False(report.AllVulnerabilities.Single(v => v.VulnerabilityId == "CVE-2023-45853").HasFix);

        var secret = Assert.Single(report.Results[2].Secrets);
        Assert.Equal(("aws-secret-access-key", TrivySeverity.Critical, 4), (secret.RuleId, secret.Severity, secret.StartLine));
    }

    [Fact]
    public void Reads_an_older_schema_2_report_without_ReportID_Trivy_or_Status()
    {
        var report = TrivyReport.Load(TrivyTestData.Fixture("legacy-v0.30.json"));

        Assert.Null(report.ReportId);
        Assert.Null(report.Trivy);
        Assert.Null(report.CreatedAt);
        Assert.Empty(report.Results[1].Vulnerabilities); // written as null by that Trivy
        var withFix = report.AllVulnerabilities.Single(v => v.VulnerabilityId == "CVE-2022-1304");
        Assert.Null(withFix.Status);
        Assert.True(withFix.HasFix);
        Assert.False(report.AllVulnerabilities.Single(v => v.VulnerabilityId == "CVE-2022-1292").HasFix);
    }

    [Fact]
    public void Reads_the_pre_v0_20_bare_array_format_as_schema_1()
    {
        var report = TrivyReport.Load(TrivyTestData.Fixture("legacy-schema1.json"));

        Assert.Equal(1, report.SchemaVersion);
        var result = Assert.Single(report.Results);
        Assert.Equal("debian", result.Type);
        Assert.Equal(["CVE-2021-3712", "CVE-2021-33560"], result.Vulnerabilities.Select(v => v.VulnerabilityId));
        Assert.Equal([TrivySeverity.High, TrivySeverity.Medium], result.Vulnerabilities.Select(v => v.Severity));
    }

    [Fact]
    public void A_clean_image_has_results_without_findings()
    {
        var report = TrivyReport.Load(TrivyTestData.Fixture("clean.json"));

        var result = Assert.Single(report.Results);
        Assert.Empty(result.Vulnerabilities);
        Assert.Empty(result.Secrets);
        Assert.Empty(result.Misconfigurations);
    }

    [Theory]
    [InlineData("{ not json", "not valid Trivy JSON")]
    [InlineData("\"text\"", "not a Trivy JSON report")]
    [InlineData("{\"SchemaVersion\": 3, \"Results\": []}", "unsupported Trivy report SchemaVersion 3")]
    public void Unreadable_reports_fail_with_one_line_naming_the_source(string json, string expected)
    {
        var error = Assert.Throws<TrivyReportFormatException>(() => TrivyReport.Parse(json, "api.trivy.json"));

        Assert.StartsWith("api.trivy.json: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_missing_report_file_is_named()
    {
        var error = Assert.Throws<TrivyReportFormatException>(() => TrivyReport.Load("/nonexistent/x.json"));
        Assert.Equal("Trivy report /nonexistent/x.json does not exist", error.Message);
    }

    [Fact]
    public void A_v0_50_report_lacks_ReportID_Trivy_version_and_fingerprints_and_reads_the_same_findings()
    {
        var current = TrivyReport.Load(TrivyTestData.Fixture("slipway-api.json"));
        var legacy = TrivyReport.Load(TrivyTestData.Fixture("legacy-v0.50.json"));

        Assert.NotNull(current.ReportId);
        Assert.Equal("0.58.1", current.Trivy?.Version);
        Assert.Null(legacy.ReportId);
        Assert.Null(legacy.Trivy);
        Assert.All(legacy.AllVulnerabilities, v => Assert.Null(v.Fingerprint));
        Assert.Equal(6, legacy.AllVulnerabilities.Count());
        Assert.Equal(
            current.AllVulnerabilities.Select(v => (v.VulnerabilityId, v.PkgName, v.Severity, v.FixedVersion, v.Status)),
            legacy.AllVulnerabilities.Select(v => (v.VulnerabilityId, v.PkgName, v.Severity, v.FixedVersion, v.Status)));
    }

    [Fact]
    public void Reads_secret_and_misconfiguration_reports_old_and_new()
    {
        foreach (var file in new[] { "repository.json", "legacy-v0.50-repository.json" })
        {
            var report = TrivyReport.Load(TrivyTestData.Fixture(file));
            Assert.Equal("repository", report.ArtifactType);
            var secrets = report.Results.SelectMany(r => r.Secrets).ToList();
            Assert.Equal([("aws-access-key-id", TrivySeverity.Critical, 4), ("slipway-deploy-token", TrivySeverity.High, 7)], secrets.Select(s => (s.RuleId, s.Severity, s.StartLine)));
        }

        var misconfiguration = Assert.Single(TrivyReport.Load(TrivyTestData.Fixture("repository.json")).Results.SelectMany(r => r.Misconfigurations));
        Assert.Equal(("DS-0002", null, TrivySeverity.High, true), (misconfiguration.Id, misconfiguration.AvdId, misconfiguration.Severity, misconfiguration.Failed));

        var legacy = Assert.Single(TrivyReport.Load(TrivyTestData.Fixture("legacy-v0.50-repository.json")).Results.SelectMany(r => r.Misconfigurations));
        Assert.Equal(("DS002", "AVD-DS-0002", TrivySeverity.High, true), (legacy.Id, legacy.AvdId, legacy.Severity, legacy.Failed));
    }
}
