namespace Slipway.Testing;

/// <summary>
/// Where the Trivy reports used by the tests live: the fixtures kept with the Trivy client's tests, in the shape
/// Trivy writes (tests/Slipway.Tools.Tests/Trivy/Fixtures/README.md lists them).
/// </summary>
public static class TrivyReports
{
    public static string Fixtures { get; } = RepositoryRoot.Combine("tests", "Slipway.Tools.Tests", "Trivy", "Fixtures");
}
