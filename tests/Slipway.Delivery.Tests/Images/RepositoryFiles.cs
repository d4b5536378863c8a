namespace Slipway.Delivery.Tests.Images;

/// <summary>The repository this test run was built from (the folder holding Slipway.sln).</summary>
internal static class RepositoryFiles
{
    public static string Root => RepositoryRoot.Path;

    public static string PathOf(string relative) => Path.Combine(Root, relative);
}
