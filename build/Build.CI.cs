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

    /// <summary>Role ARN and region are the environment's variables (not secrets): the role trusts GitHub's OIDC provider.</summary>
    static WorkflowStep AwsCredentials => ConfigureAwsCredentials(GitHubExpression.Variable("AWS_ROLE_ARN"), GitHubExpression.Variable("AWS_REGION"));

    /// <summary>What .ci/run needs on a fresh runner, installed as root so .ci/run itself then finds nothing missing.</summary>
    static WorkflowStep InstallTestRequirements => new()
    {
        Name = "Install what the tests need (docker/scripts/requirements.txt)",
        Run = "sudo bash docker/scripts/install.sh test",
    };

    /// <summary>What Setup needs to bootstrap the local environment the images are built and scanned in (a registry, base images).</summary>
    static WorkflowStep InstallSetupRequirements => new()
    {
        Name = "Install what Setup needs (docker/scripts/requirements.txt)",
        Run = "sudo bash docker/scripts/install.sh setup",
    };

    IEnumerable<Workflow> IDeclareWorkflows.Workflows => [Ci, Delivery, EcsDelivery];

    Workflow Ci => new Workflow("ci", "CI")
        .OnPullRequest(branches: ["main"])
        .OnPush(branches: ["main"])
        // Weekly, so images whose inputs did not change are still scanned against newly published CVEs.
        .OnSchedule("0 5 * * 1")
        .CancelSupersededPullRequestRuns()
        .PinActionsToCommits()
        .Job(Test, WithRealServers)
        .Job(ScanImages, job => job.Before(InstallSetupRequirements, InstallTrivy()).After(UploadSarif("artifacts/scan", "trivy")));

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
            .Job(Deploy, job => BuildsAndDeploys(job, EnvironmentName.Staging).WithSecrets("POSTGRES_PASSWORD")))
        .Stage(
            DeliveryStage(EnvironmentName.Prod, "production")
                .When("github.event_name == 'push' || inputs.environment == 'prod'")
                .Reuses(PushEcr)
                .Requires([.. RegistryPasswordNeeds(EnvironmentName.Staging, "Promote reads the images from it")]),
            stage => stage
                .Job([Promote, Deploy], job => Delivers(job, EnvironmentName.Prod, promotedFrom: EnvironmentName.Staging)
                    .WithSecrets("POSTGRES_PASSWORD")
                    .Before(AwsCredentials)));

    /// <summary>
    /// Delivery to the ECS environment (.nuke/environments/ecs.json), started by hand: the commit's tests pass, then one
    /// job (one approval) builds, scans, pushes to ECR and deploys through the ECS API. AWS is reached through GitHub's
    /// OIDC token and the environment's role: no access key is stored anywhere.
    /// </summary>
    Workflow EcsDelivery => new Workflow("deploy-ecs", "Deploy (ECS)")
        .OnWorkflowDispatch()
        .PinActionsToCommits()
        .Job(Test, WithRealServers)
        .Stage(DeliveryStage(EnvironmentName.Ecs, "ecs"), stage => stage
            .Job(Deploy, job => BuildsAndDeploys(job, EnvironmentName.Ecs).Before(AwsCredentials)));

    /// <summary>
    /// A job that builds, scans and pushes the images, then deploys them to <paramref name="name"/>, once the commit's
    /// tests passed: longer than a job's default half hour.
    /// </summary>
    WorkflowJob BuildsAndDeploys(WorkflowJob job, EnvironmentName name) => Delivers(job, name)
        .WithTimeout(60)
        .WaitsFor(Test)
        .Before(InstallTrivy());

    /// <summary>
    /// What a delivery job is given because of how its environment is reached: the registry password its file names
    /// (and, when it promotes, that of the registry it promotes from; production holds its own, ideally pull-only, copy)
    /// and the engine's client certificates. The stack's secrets are declared with each job.
    /// </summary>
    WorkflowJob Delivers(WorkflowJob job, EnvironmentName name, EnvironmentName? promotedFrom = null)
    {
        foreach (var environment in new[] { name, promotedFrom }.OfType<EnvironmentName>().Select(EnvironmentOf).OfType<DeployEnvironment>())
        {
            if (environment.Registry is { Kind: RegistryKind.Basic, PasswordVariable: { } password })
                job.WithSecrets(password);
        }

        if (EnvironmentOf(name)?.Docker.CertPath is { } certificates)
            job.WithCertificates(certificates, CertificateSecrets);
        return job;
    }

    static void WithRealServers(WorkflowJob job) => job
        .Before(InstallTestRequirements)
        .RunsThrough(".ci/run")
        .WithEnvironmentVariable("SLIPWAY_REQUIRE_REAL", "1");

    /// <summary>A GitHub environment delivering to one of .nuke/environments, requiring what its file names (nothing, in a repository without that file).</summary>
    WorkflowStage DeliveryStage(EnvironmentName name, string gitHubEnvironment)
    {
        var stage = new WorkflowStage(gitHubEnvironment).WithBuildArguments("--environment", name.ToString().ToLowerInvariant());
        if (EnvironmentOf(name) is not { } environment)
            return stage;
        var file = environment.SourceFile;
        var needs = environment.Secrets.Select(secret => EnvironmentNeed.Secret(secret, $"{file}: secrets")).ToList();
        needs.AddRange(RegistryPasswordNeeds(name, "PushEcr, Deploy and Rollback log in to it"));
        if (environment.Docker.CertPath is { } certificates)
            needs.Add(EnvironmentNeed.Certificates(certificates, $"{file}: docker.certPath"));
        if (environment.Registry.Kind == RegistryKind.Ecr)
            needs.Add(EnvironmentNeed.AwsCredentials($"{file}: registry.kind ecr"));
        return stage.WithUrl(environment.PublicUrl.ToString().TrimEnd('/')).Requires([.. needs]);
    }

    /// <summary>A basic-auth registry's password, from the secret its file names (an ECR registry needs AWS credentials instead).</summary>
    IEnumerable<EnvironmentNeed> RegistryPasswordNeeds(EnvironmentName name, string why)
    {
        if (EnvironmentOf(name)?.Registry is { Kind: RegistryKind.Basic, PasswordVariable: { } variable })
            yield return EnvironmentNeed.Secret(variable, $"{EnvironmentOf(name)!.SourceFile}: registry.passwordVariable; {why}");
    }

    /// <summary>The environment's file, or null when the repository has none for it (e.g. a test's workspace).</summary>
    DeployEnvironment? EnvironmentOf(EnvironmentName name)
    {
        if (!File.Exists(RootDirectory / ".nuke" / "environments" / $"{name.ToString().ToLowerInvariant()}.json"))
            return null;
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
