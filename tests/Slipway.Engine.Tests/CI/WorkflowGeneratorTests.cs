using Slipway.Engine.CI;

namespace Slipway.Engine.Tests.CI;

public sealed class WorkflowGeneratorTests
{
    private static readonly IReadOnlyDictionary<string, string> Files =
        new SampleDelivery().Generate().ToDictionary(f => f.RelativePath, f => f.Content);

    private static string Ci => Files[".github/workflows/ci.yml"];

    private static string Deploy => Files[".github/workflows/deploy.yml"];

    [Fact]
    public void The_workflow_token_is_read_only_and_jobs_get_only_what_their_steps_use()
    {
        foreach (var yaml in Files.Values)
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

        var jobs = WorkflowText.Jobs(Deploy);
        Assert.Contains("id-token: write", jobs["push-images-staging"], StringComparison.Ordinal);
        Assert.DoesNotContain("id-token", jobs["migrate-staging"], StringComparison.Ordinal);
        Assert.DoesNotContain("id-token", jobs["smoke-test-production"], StringComparison.Ordinal);
        Assert.Contains("security-events: write", WorkflowText.Jobs(Ci)["scan-images"], StringComparison.Ordinal);
        Assert.DoesNotContain("security-events", WorkflowText.Jobs(Ci)["test"], StringComparison.Ordinal);
    }

    [Fact]
    public void Each_job_runs_its_targets_skipping_those_other_jobs_run()
    {
        var ci = WorkflowText.Jobs(Ci);
        Assert.Equal("./build.sh Test", WorkflowText.RunLine(ci["test"]));
        Assert.Equal("./build.sh ScanImages --skip Restore Compile", WorkflowText.RunLine(ci["scan-images"]));
        var deploy = WorkflowText.Jobs(Deploy);
        Assert.Equal(
            "./build.sh Deploy --environment prod --skip Restore Compile BuildImages ScanImages PushImages Migrate SmokeTest Rollback",
            WorkflowText.RunLine(deploy["deploy-production"]));
        Assert.Equal("./build.sh SmokeTest --environment staging --skip Rollback", WorkflowText.RunLine(deploy["smoke-test-staging"]));
    }

    [Fact]
    public void Secrets_are_mapped_by_name_to_the_jobs_whose_targets_require_them_and_values_never_appear()
    {
        var build = new SampleDelivery();
        typeof(SampleDelivery).GetField(nameof(SampleDelivery.DatabaseUrl))!.SetValue(build, "postgres://app:hunter2-value@db.internal/app");
        var files = build.Generate();

        Assert.All(files, f => Assert.DoesNotContain("hunter2-value", f.Content, StringComparison.Ordinal));
        var jobs = WorkflowText.Jobs(files.Single(f => f.RelativePath.EndsWith("deploy.yml", StringComparison.Ordinal)).Content);
        foreach (var (id, job) in jobs)
        {
            var expected = id.StartsWith("migrate-", StringComparison.Ordinal);
            Assert.True(expected == job.Contains("          DATABASE_URL: ${{ secrets.DATABASE_URL }}\n", StringComparison.Ordinal), id);
        }
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

    [Fact]
    public void Deploy_jobs_carry_their_environment_and_a_concurrency_group_that_never_cancels()
    {
        var jobs = WorkflowText.Jobs(Deploy);
        Assert.All(jobs.Where(j => j.Key.EndsWith("-production", StringComparison.Ordinal)), j =>
        {
            Assert.Contains("    environment:\n      name: production\n      url: https://example.test\n", j.Value, StringComparison.Ordinal);
            Assert.Contains("    concurrency:\n      group: deploy-production\n      cancel-in-progress: false\n", j.Value, StringComparison.Ordinal);
        });
        Assert.Contains("if: ${{ failure() && needs.smoke-test-production.result == 'failure' && (github.event_name == 'push' || inputs.environment == 'prod') }}",
            jobs["rollback-production"], StringComparison.Ordinal);
        Assert.Contains("if: ${{ failure() && needs.smoke-test-staging.result == 'failure' }}", jobs["rollback-staging"], StringComparison.Ordinal);
        Assert.Contains("concurrency:\n  group: ci-${{ github.ref }}\n  cancel-in-progress: true\n", Ci, StringComparison.Ordinal);
    }

    [Fact]
    public void Artifacts_are_uploaded_after_the_build_even_when_it_failed_and_downloaded_where_they_were_written()
    {
        var test = WorkflowText.Jobs(Ci)["test"];
        Assert.Contains(
            "      - name: Upload test\n        if: ${{ !cancelled() }}\n        uses: actions/upload-artifact@v6\n        with:\n          name: test\n" +
            "          path: |\n            artifacts/test-results\n            artifacts/coverage\n",
            test, StringComparison.Ordinal);
        var deploy = WorkflowText.Jobs(Deploy)["deploy-staging"];
        Assert.Contains(
            "      - name: Download push-images-staging\n        uses: actions/download-artifact@v7\n        with:\n" +
            "          name: push-images-staging\n          path: artifacts/images\n",
            deploy, StringComparison.Ordinal);
        Assert.True(deploy.IndexOf("Download push-images-staging", StringComparison.Ordinal) < deploy.IndexOf("run: ./build.sh", StringComparison.Ordinal));
    }
}
