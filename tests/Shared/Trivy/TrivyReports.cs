namespace Slipway.Testing;

/// <summary>
/// Where the Trivy reports used by the tests live: the real-format fixtures kept with the Trivy client's
/// tests, and the reports written by Trivy itself beside the repository in ../shared (absent on a bare clone).
/// </summary>
public static class TrivyReports
{
    public static string Fixtures { get; } = RepositoryRoot.Combine("tests", "Slipway.Tools.Tests", "Trivy", "Fixtures");

    public static string Shared { get; } = Path.GetFullPath(RepositoryRoot.Combine("..", "shared", "testdata", "trivy"));

    public static bool SharedExists => Directory.Exists(Shared);
}

/// <summary>A fact over the real Trivy reports in ../shared/testdata/trivy; skipped when that folder is absent.</summary>
public sealed class SharedTrivyDataFactAttribute : FactAttribute
{
    public SharedTrivyDataFactAttribute()
    {
        if (!TrivyReports.SharedExists)
            Skip = $"{TrivyReports.Shared} not present (real Trivy reports live beside the repository)";
    }
}
