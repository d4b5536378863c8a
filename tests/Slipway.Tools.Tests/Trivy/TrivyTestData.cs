namespace Slipway.Tools.Tests.Trivy;

/// <summary>Where the Trivy reports used by the tests live.</summary>
internal static class TrivyTestData
{
    /// <summary>This project's own fixtures, in the repository.</summary>
    public static string Fixtures => TrivyReports.Fixtures;

    public static string Fixture(string name) => Path.Combine(Fixtures, name);
}
