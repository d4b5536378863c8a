using Slipway.Tools.DotNet;
using Slipway.Engine;
using static Slipway.Tools.DotNet.DotNetCli;

partial class Build
{
    [Parameter("Minimum line coverage in percent; Test fails below it")]
    readonly int MinCoverage = 80;

    [Parameter("Only run tests matching this dotnet test filter (e.g. FullyQualifiedName~Engine)")]
    readonly string? TestFilter;

    AbsolutePath TestResultsDirectory => ArtifactsDirectory / "test-results";

    AbsolutePath CoverageDirectory => ArtifactsDirectory / "coverage";

    Target Restore => _ => _
        .Description("Restores the solution's NuGet packages")
        .Executes(async ct => await RunAsync(["restore", Solution, "--nologo", "-v", "q"], RootDirectory, Log.Info, ct));

    Target Compile => _ => _
        .Description("Compiles the solution (Release on CI)")
        .DependsOn(Restore)
        .Executes(async ct =>
        {
            var result = await BuildAsync(Solution, Configuration.ToString(), AppVersion, RootDirectory, Log.Info, ct);
            ReportSummary($"{result.Projects} projects, {result.Warnings} warnings");
        });

    Target Test => _ => _
        .Description("Runs every test project; results (TRX) and coverage (Cobertura) under artifacts/")
        .DependsOn(Compile)
        .Produces("artifacts/test-results", "artifacts/coverage")
        .Executes(async ct =>
        {
            var run = await TestAsync(Solution, Configuration.ToString(), TestResultsDirectory, TestFilter, RootDirectory, Log.Info, ct);
            var coverage = CoverageReport.Merge(run.CoverageFiles, RootDirectory);
            coverage.WriteSummary(CoverageDirectory);
            Log.Plain($"Tests: {run.Passed} passed, {run.Failed} failed, {run.Skipped} skipped");
            Log.Info($"line coverage {coverage.LinePercent:0.0} % (min {MinCoverage}) · {coverage.CoveredLines}/{coverage.TotalLines} lines · {CoverageDirectory.RelativeTo(RootDirectory)}/summary.md");
            ReportSummary($"{run.Passed} passed, {run.Failed} failed, {run.Skipped} skipped · coverage {coverage.LinePercent:0.0} %");
            ReportDetail($"line coverage {coverage.LinePercent:0.0} % (min {MinCoverage}): {coverage.CoveredLines}/{coverage.TotalLines} lines");
            if (run.Failed > 0 || !run.Succeeded)
                throw new BuildFailedException($"{run.Failed} tests failed; results in {TestResultsDirectory.RelativeTo(RootDirectory)}");
            if (TestFilter is null && coverage.LinePercent < MinCoverage)
                throw new BuildFailedException($"line coverage {coverage.LinePercent:0.0} % is below --min-coverage {MinCoverage}");
        });
}
