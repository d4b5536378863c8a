using Slipway.Spelling;

namespace Slipway.Engine.Tests;

[Collection("engine")]
public sealed class ExecutionTests : IDisposable
{
    private readonly Harness harness = new();

    public void Dispose() => harness.Dispose();

    private sealed class Failing : SlipwayBuild
    {
        public List<string> Ran { get; } = [];

        Target Compile => _ => _.Executes(() => Ran.Add("Compile"));
        Target Lint => _ => _.DependsOn(Compile).ProceedAfterFailure().Executes(() => Fail("Lint"));
        Target Test => _ => _.DependsOn(Compile).Executes(() => Fail("Test"));
        Target Pack => _ => _.DependsOn(Test).Executes(() => Ran.Add("Pack"));
        Target Docs => _ => _.DependsOn(Compile).Executes(() => Ran.Add("Docs"));
        Target Cleanup => _ => _.AssuredAfterFailure().Executes(() => Ran.Add("Cleanup"));

        private void Fail(string name)
        {
            Ran.Add(name);
            throw new BuildFailedException($"{name} broke");
        }
    }

    [Fact]
    public void A_failure_stops_the_build_and_reports_exit_1_with_a_summary()
    {
        var build = new Failing();
        var result = harness.Run(build, ["Pack", "Docs"], ["Pack"]);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["Compile", "Test"], build.Ran);
        Assert.Contains("✗ Test broke", result.Error);
        Assert.Matches(@"Test\s+Failed\s+\d+ ms\s+Test broke", result.Output);
        Assert.Matches(@"Pack\s+Not run\s+Test did not succeed", result.Output);
        Assert.Contains("Build failed: Test failed", result.Output);
        Assert.DoesNotContain("   at ", result.Output + result.Error);
    }

    [Fact]
    public void ProceedAfterFailure_lets_independent_targets_run_but_the_build_still_fails()
    {
        var build = new Failing();
        var result = harness.Run(build, ["Lint", "Docs"], ["Lint"]);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["Compile", "Lint", "Docs"], build.Ran);
    }

    [Fact]
    public void AssuredAfterFailure_runs_after_a_failure()
    {
        var build = new Failing();
        harness.Run(build, ["Test", "Cleanup"], ["Test"]);
        Assert.Equal(["Compile", "Test", "Cleanup"], build.Ran);
    }

    /// <summary>A deploy refused because another holds the environment's lock: a failure with an exit code of its own.</summary>
    private sealed class Refusing : SlipwayBuild
    {
        public List<string> Ran { get; } = [];

        Target Lint => _ => _.ProceedAfterFailure().Executes(() => Fail("Lint", new BuildFailedException("Lint broke")));
        Target Deploy => _ => _.After(Lint).ProceedAfterFailure().Executes(() => Fail("Deploy", new BuildFailedException("prod is being deployed by ci@runner-7") { ExitCode = 3 }));
        Target Verify => _ => _.After(Deploy).ProceedAfterFailure().Executes(() => Fail("Verify", new BuildFailedException("Verify broke")));
        Target Configure => _ => _.After(Deploy).ProceedAfterFailure().Executes(() => Fail("Configure", new UsageException("--region is not a region")));
        Target Cleanup => _ => _.AssuredAfterFailure().Executes(() => Ran.Add("Cleanup"));

        private void Fail(string name, Exception failure)
        {
            Ran.Add(name);
            throw failure;
        }
    }

    [Fact]
    public void A_failure_with_an_exit_code_of_its_own_ends_the_build_with_it_in_one_line()
    {
        var build = new Refusing();
        var result = harness.Run(build, ["Deploy", "Cleanup"], ["Deploy"]);

        Assert.Equal(3, result.ExitCode);
        Assert.Equal(["Deploy", "Cleanup"], build.Ran);
        Assert.Equal("✗ prod is being deployed by ci@runner-7", result.Error.Trim());
        Assert.Matches(@"Deploy\s+Failed\s+\d+ ms\s+prod is being deployed by ci@runner-7", result.Output);
        Assert.DoesNotContain("   at ", result.Output + result.Error);
    }

    [Theory]
    [InlineData(new[] { "Lint", "Deploy" }, 1)]
    [InlineData(new[] { "Deploy", "Verify" }, 3)]
    [InlineData(new[] { "Deploy", "Configure" }, 2)]
    public void The_first_failure_decides_the_exit_code_and_a_usage_error_is_always_2(string[] targets, int exitCode)
    {
        var build = new Refusing();
        var result = harness.Run(build, targets, ["Deploy"]);

        Assert.Equal(targets, build.Ran);
        Assert.Equal(exitCode, result.ExitCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(126)]
    public void A_failure_cannot_claim_success_the_usage_code_or_the_shells_codes(int exitCode)
    {
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => new BuildFailedException("x") { ExitCode = exitCode });
        Assert.StartsWith("a failure's exit code is 1 or 3–125: 0 is success and 2 a usage error", refused.Message, StringComparison.Ordinal);
    }

    private sealed class Configured : SlipwayBuild
    {
        public List<string> Ran { get; } = [];

        /// <summary>What OnBeforeTargets saw, once per call.</summary>
        public List<string> Seen { get; } = [];

        public string? Refusal { get; init; }

        Target Compile => _ => _.Executes(() => Ran.Add("Compile"));
        Target Deploy => _ => _.DependsOn(Compile).Executes(() => Ran.Add("Deploy"));

        protected internal override void OnBeforeTargets()
        {
            Seen.Add($"Compile {IsScheduled(Compile)}, Deploy {IsScheduled(Deploy)}");
            if (Refusal is not null && IsScheduled(Deploy))
                throw new UsageException(Refusal);
        }
    }

    [Fact]
    public void A_refusal_before_the_targets_is_one_line_exit_2_and_nothing_runs()
    {
        var build = new Configured { Refusal = "staging.json: unknown key \"registy\"" };
        var result = harness.Run(build, ["Deploy"], ["Compile"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: staging.json: unknown key \"registy\"", result.Error.Trim());
        Assert.Empty(build.Ran);
        Assert.DoesNotContain("▸", result.Output);
    }

    [Theory]
    [InlineData(new[] { "Compile" }, "Compile True, Deploy False")]
    [InlineData(new[] { "Deploy" }, "Compile True, Deploy True")]
    [InlineData(new[] { "Deploy", "--skip", "Compile" }, "Compile False, Deploy True")]
    public void The_hook_before_the_targets_runs_once_and_sees_what_is_scheduled(string[] args, string seen)
    {
        var build = new Configured();
        var result = harness.Run(build, args, ["Compile"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal([seen], build.Seen);
    }

    [Fact]
    public void The_hook_before_the_targets_is_not_called_for_a_plan()
    {
        var build = new Configured { Refusal = "refused" };
        var result = harness.Run(build, ["--plan", "Deploy"], ["Compile"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Empty(build.Seen);
    }

    private sealed class Slow : SlipwayBuild
    {
        public List<string> Ran { get; } = [];

        public CancellationTokenSource Cancel { get; } = new();

        Target Wait => _ => _.Executes(async ct =>
        {
            Ran.Add("Wait");
            await Cancel.CancelAsync();
            await Task.Delay(TimeSpan.FromMinutes(5), ct);
        });

        Target Next => _ => _.DependsOn(Wait).Executes(() => Ran.Add("Next"));
        Target Cleanup => _ => _.After(Next).AssuredAfterFailure().Executes(() => Ran.Add("Cleanup"));
    }

    [Fact]
    public void Cancelling_stops_the_running_target_and_still_runs_assured_targets()
    {
        var build = new Slow();
        var result = harness.Run(build, ["Next", "Cleanup"], ["Next"], build.Cancel.Token);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["Wait", "Cleanup"], build.Ran);
        Assert.Contains("Build cancelled", result.Output);
        Assert.Matches(@"Wait\s+Cancelled", result.Output);
    }

    private sealed class Demanding : SlipwayBuild
    {
        [Parameter("db"), Secret]
        public readonly string? DatabaseUrl;

        [Parameter("count")]
        public readonly int Replicas = 1;

        public List<string> Ran { get; } = [];

        Target First => _ => _.Executes(() => Ran.Add("First"));
        Target NeedsUrl => _ => _.DependsOn(First).Requires(() => DatabaseUrl).Executes(() => Ran.Add("NeedsUrl"));
        Target NeedsTool => _ => _.DependsOn(First).RequiresTool("definitely-not-a-tool-xyz").Executes(() => Ran.Add("NeedsTool"));
        Target NeedsShell => _ => _.DependsOn(First).RequiresTool("sh").Executes(() => Ran.Add("NeedsShell"));
        Target NeedsReplicas => _ => _.DependsOn(First).Requires(() => Replicas > 1).Executes(() => Ran.Add("NeedsReplicas"));
    }

    [Theory]
    [InlineData("NeedsUrl", "error: NeedsUrl requires --database-url: pass it on the command line, set $DATABASE_URL")]
    [InlineData("NeedsTool", "error: NeedsTool requires 'definitely-not-a-tool-xyz' on PATH: install it and try again")]
    [InlineData("NeedsReplicas", "error: NeedsReplicas requires Replicas > 1, which is false")]
    public void Requirements_are_checked_before_the_first_target_runs(string target, string error)
    {
        var build = new Demanding();
        var result = harness.Run(build, [target], [target]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(error, result.Error.Trim());
        Assert.Empty(build.Ran);
    }

    [Fact]
    public void Met_requirements_let_the_build_run()
    {
        var build = new Demanding();
        harness.Environment["DATABASE_URL"] = "postgres://u:p@127.0.0.1/db";
        var result = harness.Run(build, ["NeedsUrl", "NeedsShell", "--replicas", "3", "NeedsReplicas"], ["NeedsUrl"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["First", "NeedsUrl", "NeedsShell", "NeedsReplicas"], build.Ran);
        Assert.Contains("Build succeeded", result.Output);
    }

    private sealed class Listed : SlipwayBuild
    {
        Target Compile => _ => _.Description("Compiles");
        Target Test => _ => _.Description("Tests").DependsOn(Compile);
        Target Secret => _ => _.Unlisted().DependsOn(Compile);
    }

    [Fact]
    public void Help_lists_targets_with_descriptions_and_dependencies_but_not_unlisted_ones()
    {
        var result = harness.Run(new Listed(), ["--help"], ["Test"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains(result.Lines, l => l.Trim().StartsWith("Compile", StringComparison.Ordinal) && l.EndsWith("Compiles", StringComparison.Ordinal));
        Assert.Contains(result.Lines, l => l.Trim().StartsWith("Test (default)", StringComparison.Ordinal) && l.EndsWith("Tests  ← Compile", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Lines, l => l.Trim().StartsWith("Secret", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("tset", "test")]
    [InlineData("Deply", "Deploy")]
    [InlineData("Rollbakc", "Rollback")]
    public void DidYouMean_finds_typos(string typed, string expected)
    {
        Assert.Equal(expected, DidYouMean.Closest(typed, ["Compile", "test", "Deploy", "Rollback"]));
    }

    [Fact]
    public void DidYouMean_stays_quiet_for_unrelated_words()
    {
        Assert.Null(DidYouMean.Closest("banana", ["Compile", "Test", "Deploy"]));
    }

    [Fact]
    public void The_masker_hides_every_occurrence_and_prefers_the_longest_secret()
    {
        var masker = new SecretMasker();
        masker.Add("abcd");
        masker.Add("abcdefgh");
        masker.Add("xy");
        Assert.Equal("**** and **** and xy", masker.Mask("abcdefgh and abcd and xy"));
    }
}
