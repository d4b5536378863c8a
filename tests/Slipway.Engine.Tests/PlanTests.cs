namespace Slipway.Engine.Tests;

[Collection("engine")]
public sealed class PlanTests : IDisposable
{
    private readonly Harness harness = new();

    public void Dispose() => harness.Dispose();

    private sealed class Pipeline : SlipwayBuild
    {
        public List<string> Ran { get; } = [];

        Target Clean => _ => _.Executes(() => Ran.Add("Clean"));
        Target Restore => _ => _.Executes(() => Ran.Add("Restore"));
        Target Compile => _ => _.DependsOn(Restore).Executes(() => Ran.Add("Compile"));
        Target Lint => _ => _.DependsOn(Restore).Executes(() => Ran.Add("Lint"));
        Target Test => _ => _.DependsOn(Compile).After(Lint).Executes(() => Ran.Add("Test"));
        Target Pack => _ => _.DependsOn(Compile).Triggers(Notify).Executes(() => Ran.Add("Pack"));
        Target Notify => _ => _.Executes(() => Ran.Add("Notify"));
        Target Docs => _ => _.DependentFor(Pack).Before(Compile).Executes(() => Ran.Add("Docs"));
        Target Audit => _ => _.TriggeredBy(Test).Executes(() => Ran.Add("Audit"));
    }

    private string[] Plan(params string[] args)
    {
        var result = harness.Run(new Pipeline(), ["--plan", .. args], ["Compile"]);
        Assert.Equal(0, result.ExitCode);
        return [.. result.Lines];
    }

    [Fact]
    public void Dependencies_run_first_in_declaration_order()
    {
        Assert.Equal(["Restore", "Compile", "Lint", "Test", "Audit"], Plan("Test", "Lint"));
    }

    [Fact]
    public void The_plan_is_the_same_whatever_order_targets_are_invoked_in()
    {
        Assert.Equal(Plan("Lint", "Test"), Plan("Test", "Lint"));
        Assert.Equal(Plan("Clean", "Pack"), Plan("Pack", "Clean"));
    }

    [Fact]
    public void DependentFor_and_Before_order_a_target_ahead_and_Triggers_pull_one_in_after()
    {
        Assert.Equal(["Restore", "Docs", "Compile", "Pack", "Notify"], Plan("Pack"));
    }

    [Fact]
    public void After_orders_without_pulling_the_other_target_in()
    {
        Assert.DoesNotContain("Lint", Plan("Test"));
    }

    [Fact]
    public void No_target_runs_the_default_one()
    {
        Assert.Equal(["Restore", "Compile"], Plan());
    }

    [Fact]
    public void Plan_runs_nothing()
    {
        var build = new Pipeline();
        harness.Run(build, ["--plan", "Pack"], ["Compile"]);
        Assert.Empty(build.Ran);
    }

    [Fact]
    public void Skip_alone_skips_everything_not_invoked()
    {
        var build = new Pipeline();
        var result = harness.Run(build, ["Test", "--skip"], ["Compile"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["Test"], build.Ran);
    }

    [Fact]
    public void Skip_with_names_skips_only_those_and_never_an_invoked_target()
    {
        var build = new Pipeline();
        harness.Run(build, ["Test", "Compile", "--skip", "Restore", "Compile"], ["Compile"]);
        Assert.Equal(["Compile", "Test", "Audit"], build.Ran);
    }

    private sealed class Cyclic : SlipwayBuild
    {
        Target A => _ => _.DependsOn(C);
        Target B => _ => _.DependsOn(A);
        Target C => _ => _.After(B);
    }

    [Fact]
    public void A_cycle_is_rejected_naming_the_cycle()
    {
        var result = harness.Run(new Cyclic(), ["A"], ["A"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: the targets form a cycle: A → C → B → A", result.Error);
    }

    private sealed class Conditional : SlipwayBuild
    {
        public bool Enabled { get; init; }

        public List<string> Ran { get; } = [];

        Target Restore => _ => _.Executes(() => Ran.Add("Restore"));
        Target Generate => _ => _.DependsOn(Restore).Executes(() => Ran.Add("Generate"));
        Target Publish => _ => _.DependsOn(Generate).OnlyWhenStatic(() => Enabled).WhenSkipped(DependencyBehavior.Skip).Executes(() => Ran.Add("Publish"));
        Target Report => _ => _.DependsOn(Restore).OnlyWhenStatic(() => Enabled).Executes(() => Ran.Add("Report"));
        Target Late => _ => _.OnlyWhenDynamic(() => Ran.Contains("Restore")).Executes(() => Ran.Add("Late"));
    }

    [Fact]
    public void A_static_condition_skips_the_target_and_WhenSkipped_Skip_skips_what_only_it_needed()
    {
        var build = new Conditional { Enabled = false };
        var result = harness.Run(build, ["Publish", "Report"], ["Publish"]);
        Assert.Equal(0, result.ExitCode);
        // Generate was needed only by Publish (WhenSkipped Skip); Restore is still needed by Report's default behaviour.
        Assert.Equal(["Restore"], build.Ran);
        Assert.Contains("condition false: Enabled", result.Output);
    }

    [Fact]
    public void A_dynamic_condition_is_decided_just_before_the_target_runs()
    {
        var build = new Conditional { Enabled = true };
        harness.Run(build, ["Late"], ["Late"]);
        Assert.Empty(build.Ran);

        build = new Conditional { Enabled = true };
        harness.Run(build, ["Restore", "Late"], ["Late"]);
        Assert.Equal(["Restore", "Late"], build.Ran);
    }

    [Fact]
    public void Unknown_targets_get_a_suggestion_and_exit_2()
    {
        var result = harness.Run(new Pipeline(), ["Compil"], ["Compile"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: unknown target 'Compil'. Did you mean 'Compile'? Run ./build.sh --help for the list.", result.Error.Trim());
    }
}
