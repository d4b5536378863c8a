using Slipway.Engine;
using Slipway.Engine.CI;
using static Slipway.Engine.CI.WorkflowSteps;

/// <summary>
/// The GitHub Actions workflows of this repository. .github/workflows/*.yml are generated from these declarations
/// and the target graph (./build.sh --generate-ci); a local build refreshes them, a CI build fails when they are stale.
/// </summary>
partial class Build : IDeclareWorkflows
{
    /// <summary>Role ARN and region are per-environment variables (not secrets): the role trusts GitHub's OIDC provider.</summary>
    static WorkflowStep AwsCredentials => ConfigureAwsCredentials(GitHubExpression.Variable("AWS_ROLE_ARN"), GitHubExpression.Variable("AWS_REGION"));

    IEnumerable<Workflow> IDeclareWorkflows.Workflows => [Ci, Delivery];

    Workflow Ci => new Workflow("ci", "CI")
        .OnPullRequest(branches: ["main"])
        .OnPush(branches: ["main"])
        // Weekly, so images whose inputs did not change are still scanned against newly published CVEs.
        .OnSchedule("0 5 * * 1")
        .WithConcurrency("ci-${{ github.ref }}", cancelInProgress: true)
        .Job(Test)
        .Job(ScanImages, job => job.Before(InstallTrivy()).After(UploadSarif("artifacts/scan", "trivy")));

    Workflow Delivery => new Workflow("deploy", "Deploy")
        .OnPush(branches: ["main"], pathsIgnore: ["**/*.md"])
        .OnWorkflowDispatch(WorkflowInput.Choice("environment", "How far to deliver: staging, or staging then prod", ["staging", "prod"], "staging"))
        .Stage(new WorkflowStage("staging").WithUrl("${{ vars.APP_URL }}").WithBuildArguments("--environment", "staging"), DeliverySteps)
        .Stage(
            new WorkflowStage("production").WithUrl("${{ vars.APP_URL }}").WithBuildArguments("--environment", "prod")
                .When("github.event_name == 'push' || inputs.environment == 'prod'"),
            DeliverySteps);

    void DeliverySteps(WorkflowStage stage) => stage
        .Job(PushEcr, job => job.Before(InstallTrivy(), AwsCredentials, AmazonEcrLogin()))
        .Job(Deploy, job => job.Before(AwsCredentials))
        .Job(SmokeTest, job => job.WithTimeout(10))
        .Job(Rollback, job => job.RunsWhenFailed(SmokeTest).Before(AwsCredentials));
}
