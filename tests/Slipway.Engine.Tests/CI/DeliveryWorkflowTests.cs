using System.Text.Json;
using System.Text.RegularExpressions;
using Slipway.Engine.CI;

namespace Slipway.Engine.Tests.CI;

/// <summary>The rules the real build's workflows must keep, read back with a YAML parser.</summary>
public sealed partial class DeliveryWorkflowTests
{
    private static GeneratedWorkflow Deploy => new(RealBuild.Workflows["deploy.yml"]);

    private static GeneratedWorkflow Ci => new(RealBuild.Workflows["ci.yml"]);

    private static readonly string[] Stages = ["staging", "production"];

    [Fact]
    public void Each_environment_is_one_job_so_one_approval_covers_its_whole_stage()
    {
        var jobs = Deploy.Jobs.Values.Where(j => j.Environment is not null).ToList();

        Assert.Equal(Stages, jobs.Select(j => j.Environment));
        Assert.Equal(["deploy-staging", "deploy-production"], jobs.Select(j => j.Id));
        Assert.All(Ci.Jobs.Values, j => Assert.Null(j.Environment));
        // Smoke test and the rollback when it fails run inside the deploy job: no job waits for a second approval.
        Assert.EndsWith("Deploy → SmokeTest → Rollback (staging)", (string)Deploy.Jobs["deploy-staging"].Yaml["name"], StringComparison.Ordinal);
        Assert.EndsWith("Promote → Deploy → SmokeTest → Rollback (production)", (string)Deploy.Jobs["deploy-production"].Yaml["name"], StringComparison.Ordinal);
        Assert.DoesNotContain(Deploy.Jobs.Keys, id => id.StartsWith("rollback", StringComparison.Ordinal) || id.StartsWith("smoke", StringComparison.Ordinal));
    }

    [Fact]
    public void Staging_deploys_after_the_commits_tests_and_production_after_staging()
    {
        var jobs = Deploy.Jobs;

        Assert.Equal(["test", "deploy-staging", "deploy-production"], jobs.Keys);
        Assert.Empty(jobs["test"].Needs);
        Assert.Equal(["test"], jobs["deploy-staging"].Needs);
        Assert.Equal(["deploy-staging"], jobs["deploy-production"].Needs);
        Assert.Null(jobs["deploy-staging"].Condition);
        Assert.Equal("${{ github.event_name == 'push' || inputs.environment == 'prod' }}", jobs["deploy-production"].Condition);
        // Staging builds, scans and pushes before it deploys (the release phase migrates after that), all in one build.
        Assert.Equal("./build.sh Deploy --environment staging", jobs["deploy-staging"].BuildCommand);
        Assert.StartsWith("VerifyCommitChecks → Setup → BuildImages → ScanImages → PushEcr → Deploy", (string)jobs["deploy-staging"].Yaml["name"], StringComparison.Ordinal);
    }

    [Fact]
    public void Production_promotes_the_digests_staging_pushed_and_never_builds()
    {
        var staging = Deploy.Jobs["deploy-staging"];
        var production = Deploy.Jobs["deploy-production"];

        Assert.Equal("./build.sh Promote Deploy --environment prod --skip Setup BuildImages ScanImages PushEcr", production.BuildCommand);
        var upload = Assert.Single(staging.Steps, s => WorkflowJobView.Name(s) == "Upload push-ecr-staging");
        Assert.Equal("artifacts/images", WorkflowJobView.With(upload)["path"]);
        var download = production.IndexOf(s => WorkflowJobView.Name(s) == "Download push-ecr-staging");
        Assert.True(download >= 0, "production downloads staging's pushed.json");
        Assert.Equal("artifacts/images", WorkflowJobView.With(production.Steps[download])["path"]);
        Assert.True(download < production.IndexOf(s => s == production.BuildStep), "the hand-off is there before the build runs");
        Assert.DoesNotContain(production.Steps, s => WorkflowJobView.Name(s) == "Install Trivy");
    }

    [Fact]
    public void Deploys_queue_per_environment_and_are_never_cancelled()
    {
        Assert.Null(Deploy.Concurrency);
        foreach (var job in Deploy.Jobs.Values.Where(j => j.Environment is not null))
        {
            Assert.Equal($"deploy-{job.Environment}", job.Concurrency!["group"]);
            Assert.Equal("false", job.Concurrency["cancel-in-progress"]);
        }

        Assert.Null(Deploy.Jobs["test"].Concurrency);
    }

    [Fact]
    public void CI_cancels_only_superseded_pull_request_runs()
    {
        var concurrency = Ci.Concurrency!;

        Assert.Equal("ci-${{ github.event_name == 'pull_request' && github.ref || github.run_id }}", concurrency["group"]);
        Assert.Equal("${{ github.event_name == 'pull_request' }}", concurrency["cancel-in-progress"]);
    }

    [Fact]
    public void The_secrets_an_environment_file_names_reach_exactly_the_job_of_that_environment()
    {
        var staging = Deploy.Jobs["deploy-staging"];
        var production = Deploy.Jobs["deploy-production"];
        string[] certificates = ["DOCKER_TLS_CA", "DOCKER_TLS_CERT", "DOCKER_TLS_KEY"];

        Assert.Equal([.. certificates, .. Named("staging")], staging.Secrets);
        // Production reads staging's registry to promote from it: its own environment holds that password too.
        Assert.Equal([.. certificates, .. Named("prod"), "SLIPWAY_STAGING_REGISTRY_PASSWORD"], production.Secrets);
        Assert.All(Deploy.Jobs.Values.Concat(Ci.Jobs.Values).Where(j => j.Environment is null), j => Assert.Empty(j.Secrets));
        Assert.Equal(Named("staging"), staging.Env(staging.BuildStep).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Only_production_assumes_an_AWS_role_and_staging_uses_its_basic_auth_registry()
    {
        var staging = Deploy.Jobs["deploy-staging"];
        var production = Deploy.Jobs["deploy-production"];

        Assert.DoesNotContain(staging.Uses, u => u.StartsWith("aws-actions/", StringComparison.Ordinal));
        Assert.DoesNotContain("id-token", staging.Permissions.Keys);
        Assert.Contains(production.Uses, u => u.StartsWith(ActionVersions.ConfigureAwsCredentials.Repository + "@", StringComparison.Ordinal));
        Assert.Equal("write", production.Permissions["id-token"]);
        Assert.DoesNotContain(production.Uses, u => u.StartsWith(ActionVersions.AmazonEcrLogin.Repository, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("deploy-staging", "staging")]
    [InlineData("deploy-production", "prod")]
    public void The_engines_certificates_are_written_before_the_build_and_removed_whatever_happened(string id, string environment)
    {
        var job = Deploy.Jobs[id];
        var folder = EnvironmentFile(environment).GetProperty("docker").GetProperty("certPath").GetString();

        var write = job.IndexOf(s => WorkflowJobView.Name(s) == $"Write the engine's client certificates ({folder})");
        Assert.True(write >= 0 && write < job.IndexOf(s => s == job.BuildStep), $"{id} writes {folder} before the build");
        Assert.Contains("umask 077\n", (string)job.Steps[write]["run"], StringComparison.Ordinal);
        Assert.DoesNotContain("${{", (string)job.Steps[write]["run"], StringComparison.Ordinal);
        var remove = job.Steps[^1];
        Assert.Equal($"rm -rf {folder}", remove["run"]);
        Assert.Equal("${{ always() }}", remove["if"]);
    }

    [Fact]
    public void Tests_run_through_ci_run_with_the_real_servers_and_nothing_may_skip()
    {
        foreach (var workflow in new[] { Ci, Deploy })
        {
            var test = workflow.Jobs["test"];
            Assert.Equal(".ci/run Test", test.BuildCommand);
            Assert.Equal("1", test.Env(test.BuildStep)["SLIPWAY_REQUIRE_REAL"]);
            var install = test.IndexOf(s => s.TryGetValue("run", out var run) && (string)run == "sudo bash docker/scripts/install.sh test");
            Assert.True(install >= 0 && install < test.IndexOf(s => s == test.BuildStep));
        }
    }

    [Fact]
    public void Every_action_is_pinned_to_the_commit_of_its_current_release()
    {
        foreach (var (file, yaml) in RealBuild.Workflows.Files)
        {
            var uses = UsesLine().Matches(yaml).Select(m => m.Groups[1].Value).ToList();
            Assert.NotEmpty(uses);
            Assert.All(uses, u => Assert.True(ActionVersions.All.Any(a => a.Pinned == u), $"{file}: {u} is not a pinned release of ActionVersions"));
        }
    }

    [Fact]
    public void Generation_fails_naming_the_file_when_an_environment_needs_a_secret_no_job_supplies()
    {
        var result = RealBuild.Generate(root => Edit(root, "staging", "\"secrets\": [\"POSTGRES_PASSWORD\"]", "\"secrets\": [\"POSTGRES_PASSWORD\", \"STRIPE_API_KEY\"]"));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(
            "error: workflow deploy: environment staging needs secret STRIPE_API_KEY (.nuke/environments/staging.json: secrets), " +
            "but no job of the stage supplies it: give a job of the stage .WithSecrets(\"STRIPE_API_KEY\")",
            result.Output.Trim());
        Assert.Empty(result.Files);
    }

    [Fact]
    public void Generation_fails_when_an_environment_moves_to_ECR_and_its_job_has_no_AWS_credentials()
    {
        var result = RealBuild.Generate(root => Edit(root, "staging",
            "\"registry\": { \"kind\": \"basic\", \"address\": \"registry.slipway.internal:5000\", \"user\": \"deploy\", \"passwordVariable\": \"SLIPWAY_STAGING_REGISTRY_PASSWORD\" }",
            "\"registry\": { \"kind\": \"ecr\", \"region\": \"eu-west-1\", \"account\": \"123456789012\" }"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("environment staging needs AWS credentials (.nuke/environments/staging.json: registry.kind ecr)", result.Output, StringComparison.Ordinal);
    }

    /// <summary>The secrets an environment file names: its secrets and its registry's password variable, sorted.</summary>
    private static string[] Named(string environment)
    {
        var file = EnvironmentFile(environment);
        var names = file.GetProperty("secrets").EnumerateArray().Select(s => s.GetString()!).ToList();
        if (file.GetProperty("registry").TryGetProperty("passwordVariable", out var password))
            names.Add(password.GetString()!);
        return [.. names.Order(StringComparer.Ordinal)];
    }

    private static JsonElement EnvironmentFile(string environment) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, ".nuke", "environments", environment + ".json")),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip }).RootElement;

    private static void Edit(string root, string environment, string from, string to)
    {
        var path = Path.Combine(root, ".nuke", "environments", environment + ".json");
        var text = File.ReadAllText(path);
        Assert.Contains(from, text, StringComparison.Ordinal);
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
    }

    [GeneratedRegex(@"^\s*(?:- )?uses: (.+)$", RegexOptions.Multiline)]
    private static partial Regex UsesLine();
}
