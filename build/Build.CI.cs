using Slipway.Delivery.Environments;
using Slipway.Engine;
using Slipway.Engine.CI;
using static Slipway.Engine.CI.WorkflowSteps;

/// <summary>
/// The GitHub Actions workflows of this repository. .github/workflows/*.yml are generated from these declarations
/// and the target graph (./build.sh --generate-ci); a local build refreshes them, a CI build fails when they are stale.
/// Actions are pinned to their release commits; a Dependabot bump of a pin is accepted as fresh.
/// </summary>
partial class Build : IDeclareWorkflows
{
    /// <summary>Where each stage's engine certificates come from: the environment's secrets DOCKER_TLS_CA, _CERT and _KEY.</summary>
    const string CertificateSecrets = "DOCKER_TLS";

    /// <summary>Role ARN and region are production's variables (not secrets): the role trusts GitHub's OIDC provider.</summary>
    static WorkflowStep AwsCredentials => ConfigureAwsCredentials(GitHubExpression.Variable("AWS_ROLE_ARN"), GitHubExpression.Variable("AWS_REGION"));

    /// <summary>What .ci/run needs on a fresh runner, installed as root so .ci/run itself then finds nothing missing.</summary>
    static WorkflowStep InstallTestRequirements => new()
    {
        Name = "Install what the tests need (docker/scripts/requirements.txt)",
        Run = "sudo bash docker/scripts/install.sh test",
    };

    IEnumerable<Workflow> IDeclareWorkflows.Workflows => [Ci, Delivery];

    Workflow Ci => new Workflow("ci", "CI")
        .OnPullRequest(branches: ["main"])
        .OnPush(branches: ["main"])
        // Weekly, so images whose inputs did not change are still scanned against newly published CVEs.
        .OnSchedule("0 5 * * 1")
        .CancelSupersededPullRequestRuns()
        .PinActionsToCommits()
        .Job(Test, WithRealServers)
        .Job(ScanImages, job => job.Before(InstallTrivy()).After(UploadSarif("artifacts/scan", "trivy")));

    /// <summary>
    /// Build once, promote by digest: the commit's tests pass, staging builds, scans, pushes to its registry and deploys
    /// (one job, one approval); production promotes the digests staging verified and deploys them. Each deploy job
    /// smoke-tests and, when that fails, rolls back in the same job, which still ends red.
    /// </summary>
    Workflow Delivery => new Workflow("deploy", "Deploy")
        .OnPush(branches: ["main"], pathsIgnore: ["**/*.md"])
        .OnWorkflowDispatch(WorkflowInput.Choice("environment", "How far to deliver: staging, or staging then prod", ["staging", "prod"], "staging"))
        .PinActionsToCommits()
        .Job(Test, WithRealServers)
        .Stage(DeliveryStage(EnvironmentName.Staging, "staging"), stage => stage
            // Builds, scans and pushes the images, then deploys: longer than a job's default half hour.
            .Job(Deploy, job => job
                .WithTimeout(60)
                .WaitsFor(Test)
                .WithSecrets("POSTGRES_PASSWORD", "SLIPWAY_STAGING_REGISTRY_PASSWORD")
                .WithCertificates(".nuke/certs/staging", CertificateSecrets)
                .Before(InstallTrivy())))
        .Stage(
            DeliveryStage(EnvironmentName.Prod, "production")
                .When("github.event_name == 'push' || inputs.environment == 'prod'")
                .Reuses(PushEcr)
                // Promote reads staging's registry: production holds its own (ideally pull-only) copy of that password.
                .Requires([.. RegistryPasswordNeeds(EnvironmentName.Staging, "Promote reads the images from it")]),
            stage => stage
                .Job([Promote, Deploy], job => job
                    .WithSecrets("POSTGRES_PASSWORD", "SLIPWAY_STAGING_REGISTRY_PASSWORD")
                    .WithCertificates(".nuke/certs/prod", CertificateSecrets)
                    .Before(AwsCredentials)));

    static void WithRealServers(WorkflowJob job) => job
        .Before(InstallTestRequirements)
        .RunsThrough(".ci/run")
        .WithEnvironmentVariable("SLIPWAY_REQUIRE_REAL", "1");

    /// <summary>A GitHub environment delivering to one of .nuke/environments, requiring what its file names.</summary>
    WorkflowStage DeliveryStage(EnvironmentName name, string gitHubEnvironment)
    {
        var environment = EnvironmentOf(name);
        var file = environment.SourceFile;
        var needs = environment.Secrets.Select(secret => EnvironmentNeed.Secret(secret, $"{file}: secrets")).ToList();
        needs.AddRange(RegistryPasswordNeeds(name, "PushEcr, Deploy and Rollback log in to it"));
        if (environment.Docker.CertPath is { } certificates)
            needs.Add(EnvironmentNeed.Certificates(certificates, $"{file}: docker.certPath"));
        if (environment.Registry.Kind == RegistryKind.Ecr)
            needs.Add(EnvironmentNeed.AwsCredentials($"{file}: registry.kind ecr"));
        return new WorkflowStage(gitHubEnvironment)
            .WithUrl(environment.PublicUrl.ToString().TrimEnd('/'))
            .WithBuildArguments("--environment", name.ToString().ToLowerInvariant())
            .Requires([.. needs]);
    }

    /// <summary>A basic-auth registry's password, from the secret its file names (an ECR registry needs AWS credentials instead).</summary>
    IEnumerable<EnvironmentNeed> RegistryPasswordNeeds(EnvironmentName name, string why)
    {
        var environment = EnvironmentOf(name);
        if (environment.Registry is { Kind: RegistryKind.Basic, PasswordVariable: { } variable })
            yield return EnvironmentNeed.Secret(variable, $"{environment.SourceFile}: registry.passwordVariable; {why}");
    }

    DeployEnvironment EnvironmentOf(EnvironmentName name)
    {
        try
        {
            return EnvironmentFile.Load(RootDirectory, name);
        }
        catch (EnvironmentFileException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
