namespace Slipway.Tools.Tests.Trivy;

/// <summary>Where the Trivy reports used by the tests live.</summary>
internal static class TrivyTestData
{
    /// <summary>This project's own fixtures (always present).</summary>
    public static string Fixtures => TrivyReports.Fixtures;

    /// <summary>Reports written by Trivy itself, beside the repository in ../shared (absent on a bare clone).</summary>
    public static string Shared => TrivyReports.Shared;

    public static bool SharedExists => TrivyReports.SharedExists;

    public static string Fixture(string name) => Path.Combine(Fixtures, name);

    public static string SharedFile(string name) => Path.Combine(Shared, name);
}
