using Slipway.Engine.CI;
using static Slipway.Engine.CI.WorkflowSteps;

namespace Slipway.Engine.Tests.CI;

public sealed class WorkflowGeneratorTests
{
    /// <summary>A build with a secret parameter, a stage that needs what an environment file would name, and a CI workflow.</summary>
    private sealed class Delivering : SlipwayBuild
    {
        [Parameter("Database URL of the environment"), Secret]
        public readonly string? DatabaseUrl;

        Target Compile => _ => _;
        Target Test => _ => _.DependsOn(Compile).Produces("artifacts/test-results", "artifacts/coverage");
        Target Scan => _ => _.Produces("artifacts/scan");
        Target Migrate => _ => _.Requires(() => DatabaseUrl);
        Target Deploy => _ => _.DependsOn(Migrate);

        private static WorkflowStep Aws => ConfigureAwsCredentials(GitHubExpression.Variable("AWS_ROLE_ARN"), GitHubExpression.Variable("AWS_REGION"));

        private static WorkflowStage Production => new WorkflowStage("production").WithUrl("https://example.test").Requires(
            EnvironmentNeed.Secret("POSTGRES_PASSWORD", "prod.json: secrets"),
            EnvironmentNeed.Certificates(".nuke/certs/prod", "prod.json: docker.certPath"),
            EnvironmentNeed.AwsCredentials("prod.json: registry.kind ecr"));

        public Workflow Ci => new Workflow("ci", "CI").OnPush().CancelSupersededPullRequestRuns().Job(Test).Job(Scan, j => j.After(UploadSarif("artifacts/scan", "trivy")));

        public Workflow Supplied => new Workflow("deploy", "Deploy").OnPush().Stage(Production, s => s.Job(Deploy, j => j
            .WithSecrets("POSTGRES_PASSWORD").WithCertificates(".nuke/certs/prod", "DOCKER_TLS").Before(Aws)));

        public Workflow MissingSecret => new Workflow("deploy", "Deploy").OnPush().Stage(Production, s => s.Job(Deploy, j => j
            .WithCertificates(".nuke/certs/prod", "DOCKER_TLS").Before(Aws)));

        public Workflow MissingCertificates => new Workflow("deploy", "Deploy").OnPush().Stage(Production, s => s.Job(Deploy, j => j
            .WithSecrets("POSTGRES_PASSWORD").WithCertificates(".nuke/certs/staging", "DOCKER_TLS").Before(Aws)));

        public Workflow MissingAws => new Workflow("deploy", "Deploy").OnPush().Stage(Production, s => s.Job(Deploy, j => j
            .WithSecrets("POSTGRES_PASSWORD").WithCertificates(".nuke/certs/prod", "DOCKER_TLS")));

        public Workflow SecretOutsideStage => new Workflow("deploy", "Deploy").OnPush().Job(Deploy, j => j.WithSecrets("POSTGRES_PASSWORD"));

        public Workflow UnpinnedAction => new Workflow("ci", "CI").OnPush().PinActionsToCommits()
            .Job(Test, j => j.Before(new WorkflowStep { Name = "Lint", Uses = "someone/lint-action@v3" }));

        public Workflow SelfPinnedAction => new Workflow("ci", "CI").OnPush().PinActionsToCommits()
            .Job(Test, j => j.Before(new WorkflowStep { Name = "Lint", Uses = $"someone/lint-action@{new string('a', 40)} # v3.1.0" }));

        public string Generate(Workflow workflow) => WorkflowGenerator.Write(workflow, TargetGraph.Create(this), BuildParameter.Discover(GetType()));
    }

    private static readonly Delivering Build = new();

    private static string Ci => Build.Generate(Build.Ci);

    private static string Deploy => Build.Generate(Build.Supplied);

    private static string Error(Workflow workflow) => Assert.Throws<UsageException>(() => Build.Generate(workflow)).Message;

    [Fact]
    public void The_workflow_token_is_read_only_and_jobs_get_only_what_their_steps_use()
    {
        foreach (var yaml in new[] { Ci, Deploy })
        {
            var header = yaml[..(yaml.IndexOf("\njobs:\n", StringComparison.Ordinal) + 1)];
            Assert.Contains("\npermissions:\n  contents: read\n", header, StringComparison.Ordinal);
            foreach (var (id, job) in WorkflowText.Jobs(yaml))
            {
                var assumesRole = job.Contains("aws-actions/configure-aws-credentials@", StringComparison.Ordinal);
                var uploadsSarif = job.Contains("github/codeql-action/upload-sarif@", StringComparison.Ordinal);
                Assert.True(assumesRole == job.Contains("      id-token: write\n", StringComparison.Ordinal), $"{id}: id-token");
                Assert.True(uploadsSarif == job.Contains("      security-events: write\n", StringComparison.Ordinal), $"{id}: security-events");
                Assert.True((assumesRole || uploadsSarif) == job.Contains("\n    permissions:\n      ", StringComparison.Ordinal), $"{id}: permissions block");
                Assert.DoesNotContain(": write-all", job, StringComparison.Ordinal);
                Assert.DoesNotContain("contents: write", job, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void A_stage_job_gets_its_environments_secrets_by_name_and_its_certificates_for_the_job_only()
    {
        var job = WorkflowText.Jobs(Deploy)["deploy-production"];

        Assert.Contains(
            "        env:\n          DATABASE_URL: ${{ secrets.DATABASE_URL }}\n          POSTGRES_PASSWORD: ${{ secrets.POSTGRES_PASSWORD }}\n        run: ./build.sh Deploy\n",
            job, StringComparison.Ordinal);
        Assert.Contains(
            "      - name: Write the engine's client certificates (.nuke/certs/prod)\n        env:\n" +
            "          DOCKER_TLS_CA: ${{ secrets.DOCKER_TLS_CA }}\n          DOCKER_TLS_CERT: ${{ secrets.DOCKER_TLS_CERT }}\n          DOCKER_TLS_KEY: ${{ secrets.DOCKER_TLS_KEY }}\n" +
            "        run: |\n          umask 077\n          mkdir -p .nuke/certs/prod\n          printf '%s\\n' \"$DOCKER_TLS_CA\" > .nuke/certs/prod/ca.pem\n",
            job, StringComparison.Ordinal);
        Assert.EndsWith(
            "      - name: Remove the engine's client certificates (.nuke/certs/prod)\n        if: ${{ always() }}\n        run: rm -rf .nuke/certs/prod\n",
            job, StringComparison.Ordinal);
        Assert.True(job.IndexOf("Write the engine's", StringComparison.Ordinal) < job.IndexOf("run: ./build.sh", StringComparison.Ordinal));
    }

    [Fact]
    public void Generation_fails_naming_the_input_when_an_environment_needs_something_no_job_supplies()
    {
        Assert.Equal(
            "workflow deploy: environment production needs secret POSTGRES_PASSWORD (prod.json: secrets), but no job of the stage supplies it: give a job of the stage .WithSecrets(\"POSTGRES_PASSWORD\")",
            Error(Build.MissingSecret));
        Assert.Equal(
            "workflow deploy: environment production needs the certificates in .nuke/certs/prod (prod.json: docker.certPath), but no job of the stage supplies it: give a job of the stage .WithCertificates(\".nuke/certs/prod\", ...)",
            Error(Build.MissingCertificates));
        Assert.StartsWith(
            "workflow deploy: environment production needs AWS credentials (prod.json: registry.kind ecr), but no job of the stage supplies it",
            Error(Build.MissingAws), StringComparison.Ordinal);
        Assert.Equal(
            "workflow deploy: job 'deploy' is in no stage, so it has no environment whose secrets or certificates it could be given: declare it in the stage of its environment",
            Error(Build.SecretOutsideStage));
    }

    [Fact]
    public void Pinned_workflows_name_each_action_by_its_release_commit_and_refuse_an_unpinned_one()
    {
        Assert.Equal(
            "workflow ci, job 'test': 'someone/lint-action@v3' is not pinned to a commit: add it to ActionVersions or write owner/name@<40-hex commit> # vX.Y.Z",
            Error(Build.UnpinnedAction));
        var pinned = Build.Generate(Build.SelfPinnedAction);
        Assert.Contains($"        uses: someone/lint-action@{new string('a', 40)} # v3.1.0\n", pinned, StringComparison.Ordinal);
        Assert.Contains($"        uses: {ActionVersions.Checkout.Pinned}\n", pinned, StringComparison.Ordinal);
        Assert.Contains($"        uses: {ActionVersions.Checkout.Tagged}\n", Ci, StringComparison.Ordinal);
    }

    [Fact]
    public void Action_versions_are_releases_and_commits()
    {
        Assert.All(ActionVersions.All, a => Assert.Matches(@"^[a-z-]+/[a-z-]+(/[a-z-]+)?@[0-9a-f]{40} # v\d+\.\d+\.\d+$", a.Pinned));
        Assert.Equal("actions/checkout@v7", ActionVersions.Checkout.Tagged);
        Assert.Throws<ArgumentException>(() => new ActionVersion("actions/checkout", "v7", new string('a', 40)));
        Assert.Throws<ArgumentException>(() => new ActionVersion("actions/checkout", "v7.0.1", "main"));
    }

    [Fact]
    public void CI_concurrency_cancels_only_pull_request_runs()
    {
        Assert.Contains(
            "concurrency:\n  group: ci-${{ github.event_name == 'pull_request' && github.ref || github.run_id }}\n  cancel-in-progress: ${{ github.event_name == 'pull_request' }}\n",
            Ci, StringComparison.Ordinal);
        Assert.Contains("    concurrency:\n      group: deploy-production\n      cancel-in-progress: false\n", Deploy, StringComparison.Ordinal);
    }

    [Fact]
    public void Artifacts_are_uploaded_after_the_build_even_when_it_failed()
    {
        var test = WorkflowText.Jobs(Ci)["test"];
        Assert.Contains(
            $"      - name: Upload test\n        if: ${{{{ !cancelled() }}}}\n        uses: {ActionVersions.UploadArtifact.Tagged}\n        with:\n          name: test\n" +
            "          path: |\n            artifacts/test-results\n            artifacts/coverage\n",
            test, StringComparison.Ordinal);
    }

    private sealed class Importing : SlipwayBuild
    {
        [Parameter("token"), Secret]
        public readonly string? RegistryToken;

        [Parameter("plain")]
        public readonly string? Region;

        Target Publish => _ => _;

        public Workflow Good => new Workflow("w", "W").OnPush().Job(Publish, j => j.ImportSecrets(nameof(RegistryToken)));
        public Workflow NotSecret => new Workflow("w", "W").OnPush().Job(Publish, j => j.ImportSecrets(nameof(Region)));
        public Workflow Unknown => new Workflow("w", "W").OnPush().Job(Publish, j => j.ImportSecrets("Nope"));
        public Workflow NoTrigger => new Workflow("w", "W").Job(Publish);
    }

    [Fact]
    public void Imported_secrets_must_be_secret_parameters()
    {
        var build = new Importing();
        var graph = TargetGraph.Create(build);
        var parameters = BuildParameter.Discover(typeof(Importing));
        string Generate(Workflow w) => WorkflowGenerator.Write(w, graph, parameters);

        Assert.Contains("        env:\n          REGISTRY_TOKEN: ${{ secrets.REGISTRY_TOKEN }}\n        run: ./build.sh Publish\n", Generate(build.Good), StringComparison.Ordinal);
        Assert.Equal("workflow w: job 'publish' imports 'Region' as a secret, but it is not marked [Secret]",
            Assert.Throws<UsageException>(() => Generate(build.NotSecret)).Message);
        Assert.Equal("workflow w: job 'publish' imports 'Nope', which is not a [Parameter] of the build",
            Assert.Throws<UsageException>(() => Generate(build.Unknown)).Message);
        Assert.StartsWith("workflow w: declare at least one trigger", Assert.Throws<UsageException>(() => Generate(build.NoTrigger)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expression_names_must_be_upper_snake_case()
    {
        Assert.Equal("${{ secrets.AWS_ROLE_ARN }}", GitHubExpression.Secret("AWS_ROLE_ARN").Text);
        Assert.Equal("${{ vars.AWS_REGION }}", GitHubExpression.Variable("AWS_REGION").Text);
        Assert.Throws<ArgumentException>(() => GitHubExpression.Secret("aws-role }} ${{ github.token"));
    }

}
