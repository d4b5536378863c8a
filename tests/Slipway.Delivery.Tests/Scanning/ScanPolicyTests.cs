using Slipway.Delivery.Scanning;
using Slipway.Tools.Trivy;

namespace Slipway.Delivery.Tests.Scanning;

public sealed class ScanPolicyTests
{
    private static readonly DateOnly Today = new(2025, 1, 20);

    private static IEnumerable<string> FailedIds(ImageScanResult result) => result.Failed.Select(f => f.Id);

    [Fact]
    public void The_default_gate_fails_critical_and_high_findings_of_every_kind()
    {
        var result = new ScanPolicy().Evaluate("slipway/api:1.4.0", ScanTestData.Fixture("slipway-api.json"), Today);

        Assert.False(result.Passed);
        Assert.Equal(["CVE-2023-45853", "CVE-2024-45491", "aws-secret-access-key", "CVE-2024-43485", "CVE-2024-6119"], FailedIds(result));
        Assert.Equal(FindingKind.Secret, result.Failed[2].Kind);
        Assert.Equal((3, 2, 1, 1, 0), (result.Counts[TrivySeverity.Critical], result.Counts[TrivySeverity.High],
            result.Counts[TrivySeverity.Medium], result.Counts[TrivySeverity.Low], result.Counts[TrivySeverity.Unknown]));
        Assert.Equal(0, result.Ignored);
    }

    [Fact]
    public void Ignore_unfixed_drops_vulnerabilities_without_a_fixed_version()
    {
        var result = new ScanPolicy { IgnoreUnfixed = true }.Evaluate("api", ScanTestData.Fixture("slipway-api.json"), Today);

        Assert.Equal(["CVE-2024-45491", "aws-secret-access-key", "CVE-2024-43485", "CVE-2024-6119"], FailedIds(result));
        Assert.Equal(3, result.Ignored); // zlib (will_not_fix), ncurses and apt (affected)
        Assert.Equal(0, result.Counts[TrivySeverity.Medium]);
    }

    [Fact]
    public void Ignore_unfixed_reads_fixed_version_when_an_older_report_has_no_status()
    {
        var result = new ScanPolicy { IgnoreUnfixed = true }.Evaluate("worker", ScanTestData.Fixture("legacy-v0.30.json"), Today);

        Assert.Equal(["CVE-2022-1304"], FailedIds(result));
    }

    [Fact]
    public void Trivyignore_entries_ignore_until_they_expire()
    {
        var ignores = TrivyIgnoreFile.Parse("CVE-2024-45491 exp:2025-06-01\nCVE-2024-6119 exp:2025-01-01\naws-secret-access-key\n", ".trivyignore");
        var policy = new ScanPolicy { Ignores = ignores };

        var result = policy.Evaluate("api", ScanTestData.Fixture("slipway-api.json"), Today);

        Assert.Equal(["CVE-2023-45853", "CVE-2024-43485", "CVE-2024-6119"], FailedIds(result)); // 6119's ignore has expired
        Assert.Equal(2, result.Ignored);
        Assert.Contains("CVE-2024-45491", FailedIds(policy.Evaluate("api", ScanTestData.Fixture("slipway-api.json"), new DateOnly(2025, 6, 1))));
    }

    [Fact]
    public void The_gate_is_configurable()
    {
        var report = ScanTestData.Fixture("slipway-api.json");

        Assert.Equal(["CVE-2023-45853", "CVE-2024-45491", "aws-secret-access-key"],
            FailedIds(new ScanPolicy { Gate = ScanPolicy.ParseGate("CRITICAL") }.Evaluate("api", report, Today)));
        Assert.Equal(["CVE-2023-50495", "CVE-2011-3374"],
            FailedIds(new ScanPolicy { Gate = ScanPolicy.ParseGate(" medium , low ") }.Evaluate("api", report, Today)));
        Assert.True(new ScanPolicy().Evaluate("migrator", ScanTestData.Fixture("clean.json"), Today).Passed);
    }

    [Theory]
    [InlineData("CRITICAL,SEVERE", "unknown severity 'SEVERE' in 'CRITICAL,SEVERE'")]
    [InlineData(" , ", "the severity gate is empty")]
    public void A_bad_gate_is_a_usage_error(string gate, string expected)
    {
        var error = Assert.Throws<DeliveryException>(() => ScanPolicy.ParseGate(gate));
        Assert.Equal(DeliveryFailure.Usage, error.Failure);
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reads_schema_1_reports_too()
    {
        var result = new ScanPolicy().Evaluate("nginx", ScanTestData.Fixture("legacy-schema1.json"), Today);

        Assert.Equal(["CVE-2021-3712"], FailedIds(result));
    }

    [Fact]
    public void A_v0_50_report_gets_the_verdict_of_the_same_findings_in_a_current_one()
    {
        foreach (var policy in new[] { new ScanPolicy(), new ScanPolicy { IgnoreUnfixed = true } })
        {
            var current = policy.Evaluate("api", ScanTestData.Fixture("slipway-api.json"), Today);
            var legacy = policy.Evaluate("api", ScanTestData.Fixture("legacy-v0.50.json"), Today);
            Assert.False(legacy.Passed);
            // The current report also carries a secret; the vulnerabilities are judged alike.
            Assert.Equal(FailedIds(current).Where(id => id.StartsWith("CVE-", StringComparison.Ordinal)), FailedIds(legacy));
            Assert.Equal(current.Ignored, legacy.Ignored);
        }
    }

    [Fact]
    public void Ignores_secrets_and_misconfigurations_by_rule_id_or_avd_id()
    {
        var repository = ScanTestData.Fixture("repository.json");
        Assert.Equal(["aws-access-key-id", "DS-0002", "slipway-deploy-token"], FailedIds(new ScanPolicy().Evaluate("repo", repository, Today)));
        var ignoringAwsKey = new ScanPolicy { Ignores = TrivyIgnoreFile.Parse("aws-access-key-id", ".trivyignore") };
        Assert.Equal(["DS-0002", "slipway-deploy-token"], FailedIds(ignoringAwsKey.Evaluate("repo", repository, Today)));

        var byAvdId = new ScanPolicy { Ignores = TrivyIgnoreFile.Parse("AVD-DS-0002", ".trivyignore") };
        Assert.Equal(["aws-access-key-id", "slipway-deploy-token"], FailedIds(byAvdId.Evaluate("repo", ScanTestData.Fixture("legacy-v0.50-repository.json"), Today)));
        Assert.Equal(["aws-access-key-id", "slipway-deploy-token"], FailedIds(byAvdId.Evaluate("repo", repository, Today)));
    }
}
