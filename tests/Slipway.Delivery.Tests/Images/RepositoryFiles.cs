namespace Slipway.Delivery.Tests.Images;

/// <summary>The repository this test run was built from (the folder holding Slipway.sln).</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = Find();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Slipway.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("Slipway.sln not found above " + AppContext.BaseDirectory);
    }
}
