namespace Slipway.Engine.Tests.CI;

[Collection("engine")]
public sealed class FreshnessTests : IDisposable
{
    private readonly Harness harness = new();

    public void Dispose() => harness.Dispose();

    private string CiFile => harness.Root / ".github" / "workflows" / "ci.yml";

    private string DeployFile => harness.Root / ".github" / "workflows" / "deploy.yml";

    [Fact]
    public void A_local_build_writes_the_workflows_and_rewrites_only_what_changed()
    {
        var expected = new SampleDelivery().Generate();
        var first = harness.Run(new SampleDelivery(), ["Compile"], ["Compile"]);
        Assert.Equal(0, first.ExitCode);
        Assert.Contains("updated .github/workflows/ci.yml from the build definition", first.Output);
        Assert.Equal(expected[0].Content, File.ReadAllText(CiFile));
        Assert.Equal(expected[1].Content, File.ReadAllText(DeployFile));
        Assert.DoesNotContain('\r', File.ReadAllText(DeployFile));

        var written = File.GetLastWriteTimeUtc(DeployFile);
        File.WriteAllText(CiFile, "edited by hand\n");
        File.SetLastWriteTimeUtc(DeployFile, written.AddHours(-1));
        var second = harness.Run(new SampleDelivery(), ["Compile"], ["Compile"]);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("updated .github/workflows/ci.yml", second.Output);
        Assert.DoesNotContain("deploy.yml", second.Output);
        Assert.Equal(expected[0].Content, File.ReadAllText(CiFile));
        Assert.Equal(written.AddHours(-1), File.GetLastWriteTimeUtc(DeployFile));
    }

    [Fact]
    public void A_local_dry_run_names_the_stale_workflows_and_writes_none()
    {
        var result = harness.Run(new SampleDelivery(), ["Compile", "--dry-run"], ["Compile"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("  would update .github/workflows/ci.yml (missing) from the build definition", result.Lines);
        Assert.False(File.Exists(CiFile));
    }

    [Fact]
    public void On_CI_an_injected_stale_file_fails_the_build_with_exit_2_before_any_target_runs()
    {
        Assert.Equal(0, harness.Run(new SampleDelivery(), ["--generate-ci"], ["Compile"]).ExitCode);
        File.AppendAllText(CiFile, "# a hand edit\n");
        harness.Environment["CI"] = "true";

        var build = new SampleDelivery();
        var result = harness.Run(build, ["Compile"], ["Compile"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(
            "error: generated CI files are stale: .github/workflows/ci.yml (out of date). Run ./build.sh --generate-ci and commit the result.",
            result.Error.Trim());
        Assert.Empty(build.Ran);
        Assert.EndsWith("# a hand edit\n", File.ReadAllText(CiFile), StringComparison.Ordinal);
    }

    [Fact]
    public void On_CI_a_missing_file_is_stale_and_fresh_files_pass()
    {
        harness.Environment["CI"] = "true";
        var missing = harness.Run(new SampleDelivery(), ["Compile"], ["Compile"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains(".github/workflows/ci.yml (missing), .github/workflows/deploy.yml (missing)", missing.Error);
        Assert.False(File.Exists(CiFile));

        var generate = harness.Run(new SampleDelivery(), ["--generate-ci"], ["Compile"]);
        Assert.Equal(0, generate.ExitCode);
        Assert.Equal(["wrote .github/workflows/ci.yml", "wrote .github/workflows/deploy.yml"], generate.Lines);

        var build = new SampleDelivery();
        var fresh = harness.Run(build, ["Compile"], ["Compile"]);
        Assert.Equal(0, fresh.ExitCode);
        Assert.Equal(["Restore", "Compile"], build.Ran);
        Assert.Equal(["2 generated CI files are up to date"], harness.Run(new SampleDelivery(), ["--generate-ci"], ["Compile"]).Lines);
    }

    [Fact]
    public void Generate_ci_runs_no_target_and_plan_and_help_write_nothing()
    {
        var build = new SampleDelivery();
        Assert.Equal(0, harness.Run(build, ["--plan", "Test"], ["Compile"]).ExitCode);
        var help = harness.Run(build, ["--help"], ["Compile"]);
        Assert.Contains("--generate-ci", help.Output);
        Assert.False(Directory.Exists(harness.Root / ".github"));

        Assert.Equal(0, harness.Run(build, ["--generate-ci"], ["Compile"]).ExitCode);
        Assert.Empty(build.Ran);
        Assert.True(File.Exists(DeployFile));
    }

    private sealed class Plain : SlipwayBuild
    {
        Target Compile => _ => _;
    }

    [Fact]
    public void A_build_without_workflows_generates_nothing()
    {
        harness.Environment["CI"] = "true";
        Assert.Equal(0, harness.Run(new Plain(), ["Compile"], ["Compile"]).ExitCode);
        Assert.False(Directory.Exists(harness.Root / ".github"));
    }

    private sealed class Misdeclared : SlipwayBuild, Slipway.Engine.CI.IDeclareWorkflows
    {
        public List<string> Ran { get; } = [];

        Target Compile => _ => _.Executes(() => Ran.Add("Compile"));

        public IEnumerable<Slipway.Engine.CI.Workflow> Workflows => [new Slipway.Engine.CI.Workflow("w", "W").Job(Compile)];
    }

    [Fact]
    public void A_broken_workflow_declaration_is_one_line_and_exit_2_but_help_still_works()
    {
        var build = new Misdeclared();
        var result = harness.Run(build, ["Compile"], ["Compile"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: workflow w: declare at least one trigger (OnPush, OnPullRequest, ...)", result.Error.Trim());
        Assert.Empty(build.Ran);
        Assert.Equal(0, harness.Run(new Misdeclared(), ["--help"], ["Compile"]).ExitCode);
    }
}
