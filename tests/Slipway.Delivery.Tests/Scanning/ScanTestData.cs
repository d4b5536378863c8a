using Slipway.Tools.Trivy;

namespace Slipway.Delivery.Tests.Scanning;

/// <summary>Trivy reports for the policy tests: the fixtures kept with the Trivy client's tests (tests/Slipway.Tools.Tests/Trivy/Fixtures).</summary>
internal static class ScanTestData
{
    public static TrivyReport Fixture(string name) => TrivyReport.Load(Path.Combine(TrivyReports.Fixtures, name));
}
