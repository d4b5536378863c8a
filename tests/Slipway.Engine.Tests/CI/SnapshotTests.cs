namespace Slipway.Engine.Tests.CI;

/// <summary>
/// Pins the YAML the real build generates byte for byte. After an intended change to the generator or to
/// build/Build.CI.cs, run the tests once with SLIPWAY_UPDATE_SNAPSHOTS=1, review the diff of CI/Snapshots, and commit it.
/// </summary>
public sealed class SnapshotTests
{
    public static TheoryData<string> Workflows => new() { "ci.yml", "deploy.yml", "deploy-ecs.yml" };

    [Theory]
    [MemberData(nameof(Workflows))]
    public void The_real_builds_workflow_matches_its_snapshot(string file)
    {
        var generated = RealBuild.Workflows[file];
        var snapshot = Path.Combine(RepositoryPaths.Snapshots, file);
        if (Environment.GetEnvironmentVariable("SLIPWAY_UPDATE_SNAPSHOTS") == "1")
            File.WriteAllText(snapshot, generated);

        Assert.True(File.Exists(snapshot), $"snapshot {snapshot} is missing: run with SLIPWAY_UPDATE_SNAPSHOTS=1 to create it");
        var difference = FirstDifference(File.ReadAllText(snapshot), generated);
        Assert.True(difference is null, $"{file} differs from {snapshot}: {difference}");
    }

    /// <summary>What is committed under .github/workflows is what the build generates (a CI build would fail otherwise).</summary>
    [Theory]
    [MemberData(nameof(Workflows))]
    public void The_committed_workflow_is_the_generated_one(string file)
    {
        var committed = File.ReadAllText(Path.Combine(RepositoryPaths.Root, ".github", "workflows", file));
        var difference = FirstDifference(committed, RealBuild.Workflows[file]);
        Assert.True(difference is null, $".github/workflows/{file} is stale: {difference}. Run ./build.sh --generate-ci");
    }

    [Fact]
    public void The_real_build_generates_exactly_the_two_workflows()
    {
        Assert.Equal(["ci.yml", "deploy-ecs.yml", "deploy.yml"], RealBuild.Workflows.Files.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_comparison_reports_the_first_differing_line()
    {
        Assert.Null(FirstDifference("a\nb\n", "a\nb\n"));
        Assert.Equal("line 2: expected 'b' but generated 'c'", FirstDifference("a\nb\n", "a\nc\n"));
        Assert.Equal("line 3: expected '' but generated 'x'", FirstDifference("a\nb\n", "a\nb\nx"));
        Assert.Equal("line 1: expected 'a' but generated 'a\r'", FirstDifference("a\n", "a\r\n"));
    }

    internal static string? FirstDifference(string expected, string actual)
    {
        if (expected == actual)
            return null;
        var want = expected.Split('\n');
        var got = actual.Split('\n');
        for (var i = 0; ; i++)
        {
            var w = i < want.Length ? want[i] : "";
            var g = i < got.Length ? got[i] : "";
            if (w != g || i >= want.Length || i >= got.Length)
                return $"line {i + 1}: expected '{w}' but generated '{g}'";
        }
    }
}
