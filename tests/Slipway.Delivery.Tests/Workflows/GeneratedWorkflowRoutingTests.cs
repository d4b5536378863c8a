using Slipway.Delivery.Tests.Workflows.Simulator;

namespace Slipway.Delivery.Tests.Workflows;

/// <summary>
/// The real build's generated workflows, resolved by the workflow simulator as GitHub would start each job (no step
/// runs): which jobs a push and a manual run start, in what order, with which environment, concurrency group and
/// permissions, and which secrets each job's expressions read. With the secrets set up as the README's list says, every
/// secret a job reads is one its environment holds, and no job outside an environment reads any. ci.yml cancels only a
/// superseded pull-request run.
/// </summary>
public sealed class GeneratedWorkflowRoutingTests : IAsyncLifetime
{
    private static readonly string[] EnvironmentSecretNames =
        ["DOCKER_TLS_CA", "DOCKER_TLS_CERT", "DOCKER_TLS_KEY", "POSTGRES_PASSWORD", "SLIPWAY_STAGING_REGISTRY_PASSWORD"];

    private readonly string root = Directory.CreateTempSubdirectory("sim-").FullName;
    private GitRepository repository = null!;
    private SimulatedGitHub github = null!;
    private string sha = "";

    public async Task InitializeAsync()
    {
        repository = await GitRepository.CopyOfAsync(RepositoryRoot.Path);
        sha = (await Shell.RunAsync("git", ["rev-parse", "HEAD"], repository.Path)).Trim();
        github = new SimulatedGitHub(repository.Path, root);
        // The README's "Setting up the GitHub side" list, with values that say whose they are.
        foreach (var environment in new[] { "staging", "production" })
        {
            github.EnvironmentSecrets[environment] = EnvironmentSecretNames.ToDictionary(n => n, n => $"{environment}-{n}");
            github.EnvironmentVariables[environment] = new() { ["AWS_ROLE_ARN"] = $"arn:aws:iam::123456789012:role/{environment}", ["AWS_REGION"] = "eu-west-1" };
        }
    }

    public Task DisposeAsync()
    {
        repository.Dispose();
        Directory.Delete(root, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_push_tests_then_deploys_staging_then_production_each_job_reading_only_its_environments_secrets()
    {
        var jobs = await github.ResolveAsync(".github/workflows/deploy.yml", new WorkflowTrigger("push", sha));

        Assert.Equal(["test", "deploy-staging", "deploy-production"], jobs.Select(j => j.Id));
        Assert.All(jobs, j => Assert.True(j.Runs, j.Id));
        var (test, staging, production) = (jobs[0], jobs[1], jobs[2]);
        Assert.Null(test.Environment);
        Assert.Empty(test.SecretsRead);
        Assert.Equal(("staging", "deploy-staging", false), (staging.Environment, staging.ConcurrencyGroup, staging.CancelInProgress));
        Assert.Equal(EnvironmentSecretNames, staging.SecretsRead);
        Assert.Equal(("production", "deploy-production", false), (production.Environment, production.ConcurrencyGroup, production.CancelInProgress));
        Assert.Equal(EnvironmentSecretNames, production.SecretsRead);
        Assert.Equal("write", production.Permissions["id-token"]);
        Assert.False(staging.Permissions.ContainsKey("id-token"));
    }

    [Fact]
    public async Task A_manual_run_for_staging_stops_before_production_and_one_for_prod_goes_through()
    {
        var toStaging = await github.ResolveAsync(".github/workflows/deploy.yml", new WorkflowTrigger("workflow_dispatch", sha, Inputs: new Dictionary<string, string> { ["environment"] = "staging" }));
        var toProd = await github.ResolveAsync(".github/workflows/deploy.yml", new WorkflowTrigger("workflow_dispatch", sha, Inputs: new Dictionary<string, string> { ["environment"] = "prod" }));

        Assert.Equal([true, true, false], toStaging.Select(j => j.Runs));
        Assert.Equal([true, true, true], toProd.Select(j => j.Runs));
    }

    [Fact]
    public async Task A_manual_ECS_run_tests_then_deploys_with_the_OIDC_role_and_reads_no_secret()
    {
        github.EnvironmentVariables["ecs"] = new() { ["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/ecs", ["AWS_REGION"] = "eu-west-1" };

        var jobs = await github.ResolveAsync(".github/workflows/deploy-ecs.yml", new WorkflowTrigger("workflow_dispatch", sha));

        Assert.Equal(["test", "deploy-ecs"], jobs.Select(j => j.Id));
        Assert.All(jobs, j => Assert.True(j.Runs, j.Id));
        var deploy = jobs[1];
        Assert.Equal(("ecs", false), (deploy.Environment, deploy.CancelInProgress));
        Assert.Equal("write", deploy.Permissions["id-token"]);
        // No stored AWS key: the job's only credentials are the role its OIDC token assumes.
        Assert.Empty(deploy.SecretsRead);
    }

    [Fact]
    public async Task Secrets_set_on_staging_alone_reach_the_staging_job_and_nothing_else()
    {
        github.EnvironmentSecrets.Remove("production");

        var jobs = await github.ResolveAsync(".github/workflows/deploy.yml", new WorkflowTrigger("push", sha));

        Assert.Equal([[], EnvironmentSecretNames, []], jobs.Select(j => j.SecretsRead.ToArray()));
    }

    [Fact]
    public async Task Ci_cancels_a_superseded_pull_request_run_and_never_a_push_run()
    {
        var pullRequest = new WorkflowTrigger("pull_request", sha, "refs/pull/7/merge");

        var firstPr = await github.ResolveConcurrencyAsync(".github/workflows/ci.yml", pullRequest);
        var secondPr = await github.ResolveConcurrencyAsync(".github/workflows/ci.yml", pullRequest);
        var firstPush = await github.ResolveConcurrencyAsync(".github/workflows/ci.yml", new WorkflowTrigger("push", sha));
        var secondPush = await github.ResolveConcurrencyAsync(".github/workflows/ci.yml", new WorkflowTrigger("push", sha));

        Assert.Equal(("ci-refs/pull/7/merge", true), firstPr);
        Assert.Equal(firstPr, secondPr);
        Assert.False(firstPush!.Value.CancelInProgress);
        Assert.NotEqual(firstPush.Value.Group, secondPush!.Value.Group);
    }
}
