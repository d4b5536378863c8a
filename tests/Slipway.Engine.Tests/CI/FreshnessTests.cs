using Slipway.Engine.CI;

namespace Slipway.Engine.Tests.CI;

[Collection("engine")]
public sealed class FreshnessTests : IDisposable
{
    private readonly Harness harness = new();

    /// <summary>A build with two workflows, whose actions are pinned to commits; targets record that they ran.</summary>
    private sealed class Pinned : SlipwayBuild, IDeclareWorkflows
    {
        public List<string> Ran { get; } = [];

        Target Restore => _ => _.Executes(() => Ran.Add("Restore"));
        Target Compile => _ => _.DependsOn(Restore).Executes(() => Ran.Add("Compile"));
        Target Test => _ => _.DependsOn(Compile).Produces("artifacts/test-results").Executes(() => Ran.Add("Test"));
        Target Deploy => _ => _.Executes(() => Ran.Add("Deploy"));

        public IEnumerable<Workflow> Workflows =>
        [
            new Workflow("ci", "CI").OnPush().PinActionsToCommits().Job(Test),
            new Workflow("deploy", "Deploy").OnPush().PinActionsToCommits().Stage(new WorkflowStage("staging"), s => s.Job(Deploy)),
        ];

        public IReadOnlyList<GeneratedFile> Generate() =>
            WorkflowGenerator.Generate(Workflows, TargetGraph.Create(this), BuildParameter.Discover(GetType()));
    }

    public void Dispose() => harness.Dispose();

    private string CiFile => harness.Root / ".github" / "workflows" / "ci.yml";

    private string DeployFile => harness.Root / ".github" / "workflows" / "deploy.yml";

    [Fact]
    public void A_local_build_writes_the_workflows_and_rewrites_only_what_changed()
    {
        var expected = new Pinned().Generate();
        var first = harness.Run(new Pinned(), ["Compile"], ["Compile"]);
        Assert.Equal(0, first.ExitCode);
        Assert.Contains("updated .github/workflows/ci.yml from the build definition", first.Output);
        Assert.Equal(expected[0].Content, File.ReadAllText(CiFile));
        Assert.Equal(expected[1].Content, File.ReadAllText(DeployFile));
        Assert.DoesNotContain('\r', File.ReadAllText(DeployFile));

        var written = File.GetLastWriteTimeUtc(DeployFile);
        File.WriteAllText(CiFile, "edited by hand\n");
        File.SetLastWriteTimeUtc(DeployFile, written.AddHours(-1));
        var second = harness.Run(new Pinned(), ["Compile"], ["Compile"]);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("updated .github/workflows/ci.yml", second.Output);
        Assert.DoesNotContain("deploy.yml", second.Output);
        Assert.Equal(expected[0].Content, File.ReadAllText(CiFile));
        Assert.Equal(written.AddHours(-1), File.GetLastWriteTimeUtc(DeployFile));
    }

    [Fact]
    public void A_local_dry_run_names_the_stale_workflows_and_writes_none()
    {
        var result = harness.Run(new Pinned(), ["Compile", "--dry-run"], ["Compile"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("  would update .github/workflows/ci.yml (missing) from the build definition", result.Lines);
        Assert.False(File.Exists(CiFile));
    }

    [Fact]
    public void On_CI_an_injected_stale_file_fails_the_build_with_exit_2_before_any_target_runs()
    {
        Assert.Equal(0, harness.Run(new Pinned(), ["--generate-ci"], ["Compile"]).ExitCode);
        File.AppendAllText(CiFile, "# a hand edit\n");
        harness.Environment["CI"] = "true";

        var build = new Pinned();
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
        var missing = harness.Run(new Pinned(), ["Compile"], ["Compile"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains(".github/workflows/ci.yml (missing), .github/workflows/deploy.yml (missing)", missing.Error);
        Assert.False(File.Exists(CiFile));

        var generate = harness.Run(new Pinned(), ["--generate-ci"], ["Compile"]);
        Assert.Equal(0, generate.ExitCode);
        Assert.Equal(["wrote .github/workflows/ci.yml", "wrote .github/workflows/deploy.yml"], generate.Lines);

        var build = new Pinned();
        var fresh = harness.Run(build, ["Compile"], ["Compile"]);
        Assert.Equal(0, fresh.ExitCode);
        Assert.Equal(["Restore", "Compile"], build.Ran);
        Assert.Equal(["2 generated CI files are up to date"], harness.Run(new Pinned(), ["--generate-ci"], ["Compile"]).Lines);
    }

    [Fact]
    public void Generate_ci_runs_no_target_and_plan_and_help_write_nothing()
    {
        var build = new Pinned();
        Assert.Equal(0, harness.Run(build, ["--plan", "Test"], ["Compile"]).ExitCode);
        var help = harness.Run(build, ["--help"], ["Compile"]);
        Assert.Contains("--generate-ci", help.Output);
        Assert.False(Directory.Exists(harness.Root / ".github"));

        Assert.Equal(0, harness.Run(build, ["--generate-ci"], ["Compile"]).ExitCode);
        Assert.Empty(build.Ran);
        Assert.True(File.Exists(DeployFile));
    }

    private static readonly ActionVersion Checkout = ActionVersions.Checkout;

    /// <summary>The pin Dependabot would write for a later release of checkout.</summary>
    private static string Bumped(string version) => $"uses: {Checkout.Repository}@{new string('b', 40)} # {version}";

    [Fact]
    public void On_CI_a_Dependabot_bump_of_a_pinned_action_is_fresh_and_a_local_build_keeps_it()
    {
        Assert.Equal(0, harness.Run(new Pinned(), ["--generate-ci"], ["Compile"]).ExitCode);
        var bumped = File.ReadAllText(CiFile).Replace($"uses: {Checkout.Pinned}", Bumped("v99.1.0"), StringComparison.Ordinal);
        Assert.Contains(Bumped("v99.1.0"), bumped, StringComparison.Ordinal);
        File.WriteAllText(CiFile, bumped);
        harness.Environment["CI"] = "true";

        var build = new Pinned();
        Assert.Equal(0, harness.Run(build, ["Compile"], ["Compile"]).ExitCode);
        Assert.Equal(["Restore", "Compile"], build.Ran);

        harness.Environment.Remove("CI");
        var local = harness.Run(new Pinned(), ["Compile"], ["Compile"]);
        Assert.Equal(0, local.ExitCode);
        Assert.DoesNotContain("ci.yml", local.Output, StringComparison.Ordinal);
        Assert.Equal(bumped, File.ReadAllText(CiFile));
        Assert.Equal(["2 generated CI files are up to date"], harness.Run(new Pinned(), ["--generate-ci"], ["Compile"]).Lines);
    }

    [Fact]
    public void On_CI_a_pin_to_an_older_release_or_without_its_version_is_stale()
    {
        Assert.Equal(0, harness.Run(new Pinned(), ["--generate-ci"], ["Compile"]).ExitCode);
        var generated = File.ReadAllText(CiFile);
        harness.Environment["CI"] = "true";
        foreach (var pin in new[] { Bumped("v1.0.0"), $"uses: {Checkout.Repository}@{new string('b', 40)}", $"uses: {Checkout.Repository}@v99" })
        {
            File.WriteAllText(CiFile, generated.Replace($"uses: {Checkout.Pinned}", pin, StringComparison.Ordinal));
            var result = harness.Run(new Pinned(), ["Compile"], ["Compile"]);
            Assert.True(result.ExitCode == 2, pin);
            Assert.Contains(".github/workflows/ci.yml (out of date)", result.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Only_the_bumped_action_keeps_its_pin_the_others_follow_the_declaration()
    {
        var generated = new Pinned().Generate()[0].Content;
        var onDisk = generated
            .Replace($"uses: {Checkout.Pinned}", Bumped("v99.1.0"), StringComparison.Ordinal)
            .Replace($"uses: {ActionVersions.SetupDotNet.Pinned}", $"uses: {ActionVersions.SetupDotNet.Repository}@{new string('c', 40)} # v1.0.0", StringComparison.Ordinal);

        var kept = WorkflowFiles.KeepNewerPins(generated, onDisk);

        Assert.Contains(Bumped("v99.1.0"), kept, StringComparison.Ordinal);
        Assert.Contains($"uses: {ActionVersions.SetupDotNet.Pinned}", kept, StringComparison.Ordinal);
        Assert.Equal(generated, WorkflowFiles.KeepNewerPins(generated, null));
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
