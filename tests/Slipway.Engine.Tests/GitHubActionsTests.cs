namespace Slipway.Engine.Tests;

/// <summary>The runner on GitHub Actions: a group per target, an annotation per failure, the step summary appended.</summary>
[Collection("engine")]
public sealed class GitHubActionsTests : IDisposable
{
    private readonly Harness harness = new();
    private readonly string stepSummary;

    public GitHubActionsTests()
    {
        stepSummary = harness.Root / "step-summary.md";
        harness.Time = new OneSecondPerReading();
        harness.Environment["CI"] = "true";
        harness.Environment["GITHUB_ACTIONS"] = "true";
        harness.Environment["GITHUB_STEP_SUMMARY"] = stepSummary;
    }

    public void Dispose() => harness.Dispose();

    private sealed class Delivering : SlipwayBuild
    {
        Target Compile => _ => _.Executes(() =>
        {
            Log.Info("3 projects built");
            ReportSummary("3 projects, 0 warnings");
        });

        Target Test => _ => _.DependsOn(Compile).Executes(() => ReportSummary("12 passed, 0 failed, 0 skipped · coverage 81.3 %"));

        Target ScanImages => _ => _.DependsOn(Compile).Executes(() =>
        {
            ReportSummary("2 images passed the CRITICAL,HIGH gate");
            ReportDetail("slipway/api: 0 CRITICAL, 0 HIGH, 3 MEDIUM | 1 ignored by .trivyignore");
        });

        Target Deploy => _ => _.DependsOn(Test, ScanImages).Executes(() =>
        {
            MaskSecret("s3cr3t-registry-pw");
            Log.Info("logged in with s3cr3t-registry-pw");
            ReportSummary("1.4.0+3f2a9c1 → https://staging.example.com");
            ReportDetail("version 1.4.0+3f2a9c1 live at https://staging.example.com (pushed with s3cr3t-registry-pw)");
        });
    }

    [Fact]
    public void Each_target_is_a_group_and_the_step_summary_holds_the_table_and_what_targets_reported_with_secrets_masked()
    {
        File.WriteAllText(stepSummary, "from an earlier step\n");

        var result = harness.Run(new Delivering(), ["Deploy"], ["Deploy"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            """
            ::group::Compile
            ▸ Compile
              3 projects built
            ::endgroup::
            ::group::Test
            ▸ Test
            ::endgroup::
            ::group::ScanImages
            ▸ ScanImages
            ::endgroup::
            ::group::Deploy
            ▸ Deploy
              logged in with ****
            ::endgroup::

            Target      Status        Duration   Note
            Compile     Succeeded        1.0 s   3 projects, 0 warnings
            Test        Succeeded        1.0 s   12 passed, 0 failed, 0 skipped · coverage 81.3 %
            ScanImages  Succeeded        1.0 s   2 images passed the CRITICAL,HIGH gate
            Deploy      Succeeded        1.0 s   1.4.0+3f2a9c1 → https://staging.example.com

            Build succeeded in 9.0 s

            """,
            result.Output);
        Assert.Equal(
            """
            from an earlier step
            ### ✅ Build succeeded in 9.0 s

            | Target | Status | Duration | Note |
            | --- | --- | --- | --- |
            | Compile | Succeeded | 1.0 s | 3 projects, 0 warnings |
            | Test | Succeeded | 1.0 s | 12 passed, 0 failed, 0 skipped · coverage 81.3 % |
            | ScanImages | Succeeded | 1.0 s | 2 images passed the CRITICAL,HIGH gate |
            | Deploy | Succeeded | 1.0 s | 1.4.0+3f2a9c1 → https://staging.example.com |

            #### ScanImages

            - slipway/api: 0 CRITICAL, 0 HIGH, 3 MEDIUM | 1 ignored by .trivyignore

            #### Deploy

            - version 1.4.0+3f2a9c1 live at https://staging.example.com (pushed with ****)


            """,
            File.ReadAllText(stepSummary));
    }

    private sealed class FailingScan : SlipwayBuild
    {
        Target Compile => _ => _.Executes(() => ReportSummary("3 projects | 0 warnings"));

        Target ScanImages => _ => _.DependsOn(Compile).Executes(() =>
        {
            MaskSecret("token-abc123");
            ReportDetail("slipway/api: CVE-2024-45491 CRITICAL in libexpat1 2.5.0-1 (fixed in 2.5.0-1+deb12u1)");
            throw new BuildFailedException("1 finding at or above the gate: 100% sure, token-abc123\nsee the SARIF upload");
        });

        Target Deploy => _ => _.DependsOn(ScanImages).Executes(() => { });
    }

    [Fact]
    public void A_failed_target_is_an_error_annotation_after_its_group_and_the_summary_says_what_failed()
    {
        var result = harness.Run(new FailingScan(), ["Deploy"], ["Deploy"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            """
            ::group::Compile
            ▸ Compile
            ::endgroup::
            ::group::ScanImages
            ▸ ScanImages
            ::endgroup::
            ::error title=ScanImages failed::1 finding at or above the gate: 100%25 sure, ****%0Asee the SARIF upload

            Target      Status        Duration   Note
            Compile     Succeeded        1.0 s   3 projects | 0 warnings
            ScanImages  Failed           1.0 s   1 finding at or above the gate: 100% sure, ****
            Deploy      Not run                  ScanImages did not succeed

            Build failed: ScanImages failed (5.0 s)

            """,
            result.Output);
        Assert.Equal("  ✗ 1 finding at or above the gate: 100% sure, ****\n  see the SARIF upload\n", result.Error);
        Assert.Equal(
            """
            ### ❌ Build failed: ScanImages failed (5.0 s)

            | Target | Status | Duration | Note |
            | --- | --- | --- | --- |
            | Compile | Succeeded | 1.0 s | 3 projects \| 0 warnings |
            | ScanImages | Failed | 1.0 s | 1 finding at or above the gate: 100% sure, **** |
            | Deploy | Not run |  | ScanImages did not succeed |

            #### ScanImages

            - slipway/api: CVE-2024-45491 CRITICAL in libexpat1 2.5.0-1 (fixed in 2.5.0-1+deb12u1)


            """,
            File.ReadAllText(stepSummary));
    }

    [Fact]
    public void A_usage_error_is_an_error_annotation_too()
    {
        var result = harness.Run(new FailingScan(), ["Deplyo"], ["Deploy"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("::error title=Build::unknown target 'Deplyo'. Did you mean 'Deploy'? Run ./build.sh --help for the list.\n", result.Output);
        Assert.False(File.Exists(stepSummary));
    }

    [Fact]
    public void Off_GitHub_there_are_no_workflow_commands_and_no_step_summary()
    {
        harness.Environment.Remove("GITHUB_ACTIONS");
        harness.Environment.Remove("GITHUB_STEP_SUMMARY");

        var result = harness.Run(new FailingScan(), ["Deploy"], ["Deploy"]);

        Assert.Equal(1, result.ExitCode);
        Assert.DoesNotContain("::", result.Output, StringComparison.Ordinal);
        Assert.StartsWith("▸ Compile\n▸ ScanImages\n", result.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(stepSummary));
    }

    [Fact]
    public void A_step_summary_file_alone_gets_the_summary_without_workflow_commands()
    {
        harness.Environment.Remove("GITHUB_ACTIONS");

        var result = harness.Run(new Delivering(), ["Test"], ["Test"]);

        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain("::", result.Output, StringComparison.Ordinal);
        Assert.StartsWith("### ✅ Build succeeded in 5.0 s\n", File.ReadAllText(stepSummary), StringComparison.Ordinal);
    }

    /// <summary>A clock that moves one second each time it is read, so every duration in the output is known.</summary>
    private sealed class OneSecondPerReading : TimeProvider
    {
        private long seconds;

        public override long TimestampFrequency => 1;

        public override long GetTimestamp() => seconds++;
    }
}
