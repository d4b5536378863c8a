using Slipway.Tools.Trivy;

namespace Slipway.Delivery.Tests.Scanning;

/// <summary>
/// Trivy reports for the policy tests: the real-format fixtures kept with the Trivy client's tests
/// (tests/Slipway.Tools.Tests/Trivy/Fixtures), plus the reports written by Trivy itself in ../shared when present.
/// </summary>
internal static class ScanTestData
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Fixtures { get; } = Path.Combine(RepositoryRoot, "tests", "Slipway.Tools.Tests", "Trivy", "Fixtures");

    public static string Shared { get; } = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "testdata", "trivy"));

    public static TrivyReport Fixture(string name) => TrivyReport.Load(Path.Combine(Fixtures, name));

    public static TrivyReport SharedReport(string name) => TrivyReport.Load(Path.Combine(Shared, name));

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Slipway.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException($"Slipway.sln not found above {AppContext.BaseDirectory}");
    }
}

/// <summary>A fact over the real Trivy reports in ../shared/testdata/trivy; skipped when that folder is absent.</summary>
internal sealed class SharedTrivyDataFactAttribute : FactAttribute
{
    public SharedTrivyDataFactAttribute()
    {
        if (!Directory.Exists(ScanTestData.Shared))
            Skip = $"{ScanTestData.Shared} not present (real Trivy reports live beside the repository)";
    }
}
