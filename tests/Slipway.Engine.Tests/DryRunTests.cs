namespace Slipway.Engine.Tests;

[Collection("engine")]
public sealed class DryRunTests : IDisposable
{
    private readonly Harness harness = new();

    public void Dispose() => harness.Dispose();

    /// <summary>The delivery chain's shape: writers, readers, planners, a trigger and a rollback on failure.</summary>
    private sealed class Delivery : SlipwayBuild
    {
        public bool SmokeFails { get; init; }

        public List<string> Ran { get; } = [];

        Target Restore => _ => _.Executes(() => Ran.Add("Restore"));
        Target Setup => _ => _.Writes().Executes(() => Ran.Add("Setup"));
        Target BuildImages => _ => _.DependsOn(Setup, Restore).Writes().Executes(() => Ran.Add("BuildImages"));
        Target ScanImages => _ => _.DependsOn(BuildImages).Executes(() => Ran.Add("ScanImages"));
        Target PushImages => _ => _.DependsOn(ScanImages).Writes().Executes(() => Ran.Add("PushImages"));
        Target VerifyChecks => _ => _.DependentFor(Deploy).Executes(() => Ran.Add("VerifyChecks"));
        Target Migrate => _ => _.DependsOn(Restore).Writes(DryRunBehavior.PrintPlan).Executes(() => Ran.Add(Mode("Migrate")));
        Target Deploy => _ => _.DependsOn(Setup, PushImages, Migrate).Writes(DryRunBehavior.PrintPlan).Triggers(SmokeTest).Executes(() => Ran.Add(Mode("Deploy")));

        Target SmokeTest => _ => _.After(Deploy).Executes(() =>
        {
            Ran.Add("SmokeTest");
            if (SmokeFails)
                throw new BuildFailedException("smoke failed");
        });

        Target Rollback => _ => _
            .TriggeredBy(SmokeTest)
            .AssuredAfterFailure()
            .OnlyWhenDynamic(() => IsInvoked(Rollback) || HasFailed(SmokeTest))
            .Writes(DryRunBehavior.PrintPlan)
            .Executes(() => Ran.Add(Mode("Rollback")));

        private string Mode(string target) => IsDryRun ? target + " (plan)" : target;
    }

    private static string Note(Harness.Result result, string target) =>
        result.Lines.Single(l => l.StartsWith(target + " ", StringComparison.Ordinal) && l.Contains("Skipped", StringComparison.Ordinal))[(target.Length + 1)..].Replace("Skipped", "", StringComparison.Ordinal).Trim();

    [Fact]
    public void A_dry_run_runs_the_readers_and_the_planners_and_lists_every_writer_as_would_run()
    {
        var build = new Delivery();
        var result = harness.Run(build, ["Deploy", "--dry-run"], ["Deploy"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["Restore", "VerifyChecks", "Migrate (plan)", "Deploy (plan)"], build.Ran);
        Assert.Equal("would run (it writes; --dry-run)", Note(result, "Setup"));
        Assert.Equal("would run (it writes; --dry-run)", Note(result, "BuildImages"));
        Assert.Equal("would run for PushImages (--dry-run)", Note(result, "ScanImages"));
        Assert.Equal("would run (it writes; --dry-run)", Note(result, "PushImages"));
        Assert.Equal("not triggered: Deploy only printed its plan (--dry-run)", Note(result, "SmokeTest"));
        Assert.Equal("not triggered: SmokeTest does not run (--dry-run)", Note(result, "Rollback"));
        Assert.Contains("dry run: nothing that writes runs; Migrate, Deploy print what they would do; would run: Setup, BuildImages, ScanImages, PushImages", result.Lines);
        Assert.Contains(result.Lines, l => l.StartsWith("Dry run succeeded in ", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_dry_run_the_same_build_runs_every_target_and_no_planner_sees_a_dry_run()
    {
        var build = new Delivery { SmokeFails = true };
        var result = harness.Run(build, ["Deploy"], ["Deploy"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["Restore", "Setup", "BuildImages", "ScanImages", "PushImages", "VerifyChecks", "Migrate", "Deploy", "SmokeTest", "Rollback"], build.Ran);
        Assert.DoesNotContain(result.Lines, l => l.Contains("dry run", StringComparison.OrdinalIgnoreCase) || l.Contains("would run", StringComparison.Ordinal));
    }

    [Fact]
    public void An_invoked_writer_does_not_run_under_dry_run()
    {
        var build = new Delivery();
        var result = harness.Run(build, ["PushImages", "--dry-run"], ["Deploy"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(build.Ran);
        Assert.Equal("would run (it writes; --dry-run)", Note(result, "PushImages"));
        Assert.Equal("would run for BuildImages (--dry-run)", Note(result, "Restore"));
    }

    [Fact]
    public void An_invoked_planner_runs_in_plan_mode_even_when_its_condition_needs_the_invocation()
    {
        var build = new Delivery();
        var result = harness.Run(build, ["Rollback", "--dry-run"], ["Deploy"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["Rollback (plan)"], build.Ran);
    }

    [Fact]
    public void Plan_with_dry_run_lists_only_what_runs()
    {
        var result = harness.Run(new Delivery(), ["--plan", "--dry-run", "Deploy"], ["Deploy"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["Restore", "VerifyChecks", "Migrate", "Deploy"], result.Lines);
    }

    [Fact]
    public void Help_names_the_targets_that_print_their_plan()
    {
        var result = harness.Run(new Delivery(), ["--help"], ["Deploy"]);

        Assert.Contains("       ./build.sh --dry-run [targets...]  run nothing that writes; Migrate, Deploy, Rollback print what they would do", result.Lines);
    }

    [Fact]
    public void A_typo_of_dry_run_is_suggested()
    {
        var result = harness.Run(new Delivery(), ["Deploy", "--dry-runn"], ["Deploy"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: unknown parameter '--dry-runn'. Did you mean '--dry-run'? Run ./build.sh --help for the list.", result.Error.Trim());
    }
}
