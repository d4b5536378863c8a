namespace Slipway.Testing;

/// <summary>The checkout the tests run from: the nearest parent folder holding Slipway.sln.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    public static string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Slipway.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException($"Slipway.sln not found above {AppContext.BaseDirectory}; run the tests from the repository");
    }
}
