using Slipway.Delivery.Scanning;

namespace Slipway.Delivery.Tests.Scanning;

public sealed class ScanTableTests
{
    [Fact]
    public void Renders_a_row_per_image_then_the_findings_that_failed()
    {
        var today = new DateOnly(2025, 1, 20);
        var policy = new ScanPolicy { Ignores = TrivyIgnoreFile.Parse("CVE-2024-45491\naws-secret-access-key", ".trivyignore") };
        var results = new[]
        {
            policy.Evaluate("slipway/api:1.4.0-3f2a9c1", ScanTestData.Fixture("slipway-api.json"), today),
            policy.Evaluate("slipway/migrator:1.4.0-3f2a9c1", ScanTestData.Fixture("clean.json"), today),
        };

        Assert.Equal(
            [
                "IMAGE                           CRITICAL  HIGH  MEDIUM  LOW  UNKNOWN  IGNORED  GATE",
                "slipway/api:1.4.0-3f2a9c1              1     2       1    1        0        2  FAIL (3)",
                "slipway/migrator:1.4.0-3f2a9c1         0     0       0    0        0        0  pass",
                "slipway/api:1.4.0-3f2a9c1: 3 finding(s) failed the gate",
                "  CRITICAL  CVE-2023-45853  zlib1g 1:1.2.13.dfsg-1 (no fix)  zlib: integer overflow and resultant heap-based buffer overflow in zipOpenNewFileInZip4_6",
                "  HIGH      CVE-2024-43485  System.Text.Json 8.0.4 (fixed in 8.0.5)  dotnet: denial of service in System.Text.Json",
                "  HIGH      CVE-2024-6119  libssl3 3.0.13-1~deb12u1 (fixed in 3.0.14-1~deb12u2)  openssl: Possible denial of service in X.509 name checks",
            ],
            ScanTable.Render(results));
    }

    [Fact]
    public void The_step_summary_gets_a_line_per_image_then_one_per_failed_finding()
    {
        var today = new DateOnly(2025, 1, 20);
        var policy = new ScanPolicy { Ignores = TrivyIgnoreFile.Parse("CVE-2024-45491\naws-secret-access-key\nCVE-2024-6119", ".trivyignore") };
        var results = new[]
        {
            policy.Evaluate("slipway/api:1.4.0-3f2a9c1", ScanTestData.Fixture("slipway-api.json"), today),
            policy.Evaluate("slipway/migrator:1.4.0-3f2a9c1", ScanTestData.Fixture("clean.json"), today),
        };

        Assert.Equal(
            [
                "slipway/api:1.4.0-3f2a9c1: CRITICAL 1, HIGH 1, MEDIUM 1, LOW 1, UNKNOWN 0 · 3 ignored · FAIL (2)",
                "slipway/migrator:1.4.0-3f2a9c1: CRITICAL 0, HIGH 0, MEDIUM 0, LOW 0, UNKNOWN 0 · 0 ignored · pass",
                "slipway/api:1.4.0-3f2a9c1: CRITICAL CVE-2023-45853 zlib1g 1:1.2.13.dfsg-1 (no fix) zlib: integer overflow and resultant heap-based buffer overflow in zipOpenNewFileInZip4_6",
                "slipway/api:1.4.0-3f2a9c1: HIGH CVE-2024-43485 System.Text.Json 8.0.4 (fixed in 8.0.5) dotnet: denial of service in System.Text.Json",
            ],
            ScanTable.SummaryLines(results));
    }

    [Fact]
    public void Secrets_are_listed_by_rule_and_location_never_by_content()
    {
        var result = new ScanPolicy().Evaluate("api", ScanTestData.Fixture("slipway-api.json"), new DateOnly(2025, 1, 20));

        var line = Assert.Single(ScanTable.Render([result]), l => l.Contains("aws-secret-access-key", StringComparison.Ordinal));
        Assert.Equal("  CRITICAL  secret aws-secret-access-key in /app/appsettings.Production.json:4  AWS Secret Access Key", line);
    }
}
