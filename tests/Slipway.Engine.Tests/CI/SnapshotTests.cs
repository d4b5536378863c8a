namespace Slipway.Engine.Tests.CI;

/// <summary>
/// Pins the generated YAML of the sample build byte for byte. After an intended change to the generator, run the
/// tests once with SLIPWAY_UPDATE_SNAPSHOTS=1, review the diff of CI/Snapshots, and commit it.
/// </summary>
public sealed class SnapshotTests
{
    public static TheoryData<string> Workflows => new() { "ci.yml", "deploy.yml" };

    [Theory]
    [MemberData(nameof(Workflows))]
    public void Generated_workflow_matches_its_snapshot(string file)
    {
        var generated = new SampleDelivery().Generate().Single(f => f.RelativePath == $".github/workflows/{file}").Content;
        var snapshot = Path.Combine(RepositoryPaths.Snapshots, "sample-" + file);
        if (Environment.GetEnvironmentVariable("SLIPWAY_UPDATE_SNAPSHOTS") == "1")
            File.WriteAllText(snapshot, generated);

        Assert.True(File.Exists(snapshot), $"snapshot {snapshot} is missing: run with SLIPWAY_UPDATE_SNAPSHOTS=1 to create it");
        var difference = FirstDifference(File.ReadAllText(snapshot), generated);
        Assert.True(difference is null, $"{file} differs from {snapshot}: {difference}");
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
