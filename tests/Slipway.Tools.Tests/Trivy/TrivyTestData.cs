namespace Slipway.Tools.Tests.Trivy;

/// <summary>Where the Trivy reports used by the tests live.</summary>
internal static class TrivyTestData
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>This project's own fixtures (always present).</summary>
    public static string Fixtures { get; } = Path.Combine(RepositoryRoot, "tests", "Slipway.Tools.Tests", "Trivy", "Fixtures");

    /// <summary>Reports written by Trivy itself, beside the repository in ../shared (absent on a bare clone).</summary>
    public static string Shared { get; } = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "testdata", "trivy"));

    public static bool SharedExists => Directory.Exists(Shared);

    public static string Fixture(string name) => Path.Combine(Fixtures, name);

    public static string SharedFile(string name) => Path.Combine(Shared, name);

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
        if (!TrivyTestData.SharedExists)
            Skip = $"{TrivyTestData.Shared} not present (real Trivy reports live beside the repository)";
    }
}
