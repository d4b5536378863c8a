using Slipway.Engine.CI;
using static Slipway.Engine.CI.WorkflowSteps;

namespace Slipway.Engine.Tests.CI;

/// <summary>
/// A build shaped like this repository's pipeline (compile, test, images, staged delivery with rollback), with
/// workflows declared on it. Targets record that they ran, so tests can also execute it through the harness.
/// </summary>
internal sealed class SampleDelivery : SlipwayBuild, IDeclareWorkflows
{
    [Parameter("Database URL of the environment"), Secret]
    public readonly string? DatabaseUrl;

    [Parameter("Where to deliver", Name = "environment")]
    public readonly string TargetEnvironment = "local";

    [Parameter("A plain, non-secret value")]
    public readonly string? Region;

    public List<string> Ran { get; } = [];

    public IEnumerable<Workflow> Workflows => [Ci, Delivery];

    Target Restore => _ => _.Executes(() => Ran.Add("Restore"));
    Target Compile => _ => _.DependsOn(Restore).Executes(() => Ran.Add("Compile"));
    Target Test => _ => _.DependsOn(Compile).Produces("artifacts/test-results", "artifacts/coverage").Executes(() => Ran.Add("Test"));
    Target BuildImages => _ => _.DependsOn(Compile).Executes(() => Ran.Add("BuildImages"));
    Target ScanImages => _ => _.DependsOn(BuildImages).Produces("artifacts/scan").Executes(() => Ran.Add("ScanImages"));
    Target PushImages => _ => _.DependsOn(ScanImages).Produces("artifacts/images/digests.json").Executes(() => Ran.Add("PushImages"));
    Target Migrate => _ => _.Requires(() => DatabaseUrl).Executes(() => Ran.Add("Migrate"));
    Target Deploy => _ => _.DependsOn(PushImages, Migrate).Consumes(PushImages).Triggers(SmokeTest).Executes(() => Ran.Add("Deploy"));
    Target SmokeTest => _ => _.After(Deploy).Executes(() => Ran.Add("SmokeTest"));
    Target Rollback => _ => _.TriggeredBy(SmokeTest).AssuredAfterFailure().Executes(() => Ran.Add("Rollback"));

    private static WorkflowStep Aws => ConfigureAwsCredentials(GitHubExpression.Secret("AWS_ROLE_ARN"), GitHubExpression.Variable("AWS_REGION"));

    public Workflow Ci => new Workflow("ci", "CI")
        .OnPullRequest(branches: ["main"], paths: ["src/**", "*.sln"])
        .OnPush(branches: ["main", "release/*"])
        .OnSchedule("0 5 * * 1")
        .WithConcurrency("ci-${{ github.ref }}", cancelInProgress: true)
        .WithEnvironmentVariable("DOTNET_NOLOGO", "true")
        .Job(Test)
        .Job(ScanImages, job => job.After(UploadSarif("artifacts/scan", "trivy")));

    public Workflow Delivery => new Workflow("deploy", "Deploy")
        .OnPush(branches: ["main"])
        .OnWorkflowDispatch(
            WorkflowInput.Choice("environment", "How far to deliver", ["staging", "prod"], "staging"),
            WorkflowInput.Boolean("dry-run", "Plan only", defaultValue: false))
        .WithTimeout(20)
        .Stage(new WorkflowStage("staging").WithUrl("https://staging.example.test").WithBuildArguments("--environment", "staging"), Stage)
        .Stage(
            new WorkflowStage("production").WithUrl("https://example.test").WithBuildArguments("--environment", "prod")
                .When("github.event_name == 'push' || inputs.environment == 'prod'"),
            Stage);

    private void Stage(WorkflowStage stage) => stage
        .Job(PushImages, job => job.Before(Aws, AmazonEcrLogin()))
        .Job(Migrate)
        .Job(Deploy, job => job.Before(Aws))
        .Job(SmokeTest, job => job.WithTimeout(10))
        .Job(Rollback, job => job.RunsWhenFailed(SmokeTest).Before(Aws));

    /// <summary>The workflows as the engine generates them for this build.</summary>
    public IReadOnlyList<GeneratedFile> Generate() =>
        WorkflowGenerator.Generate(Workflows, TargetGraph.Create(this), BuildParameter.Discover(GetType()));
}
