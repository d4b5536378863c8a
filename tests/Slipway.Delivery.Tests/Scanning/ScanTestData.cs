using Slipway.Tools.Trivy;

namespace Slipway.Delivery.Tests.Scanning;

/// <summary>
/// Trivy reports for the policy tests: the real-format fixtures kept with the Trivy client's tests
/// (tests/Slipway.Tools.Tests/Trivy/Fixtures), plus the reports written by Trivy itself in ../shared when present.
/// </summary>
internal static class ScanTestData
{
    public static TrivyReport Fixture(string name) => TrivyReport.Load(Path.Combine(TrivyReports.Fixtures, name));

    public static TrivyReport SharedReport(string name) => TrivyReport.Load(Path.Combine(TrivyReports.Shared, name));
}
