using System.Text.Json.Nodes;
using Slipway.Delivery.Environments;
using Slipway.Delivery.GitHub;
using Slipway.Delivery.Publishing;

namespace Slipway.Delivery.Tests.GitHub;

/// <summary>Deployments, their statuses and releases against <see cref="FakeGitHub"/>, which replays GitHub's documented REST responses.</summary>
public sealed class DeploymentRecorderTests : IDisposable
{
    private static readonly DeploymentToRecord Prod = new(EnvironmentName.Prod, FakeGitHub.Commit, "1.4.0+6dcb09b", new Uri("https://slipway.example.com"));

    private readonly FakeGitHub github = new();
    private readonly GitHubOutput output = new();

    public void Dispose() => github.Dispose();

    private DeploymentRecorder Recorder(GitHubAccess? access = null) => new(access ?? GitHubOutput.Access(github.Url), output.Info.Add, output.Warnings.Add);

    private List<JsonObject> StatusBodies() =>
        github.Requests.Where(r => r.RawUrl.EndsWith("/statuses", StringComparison.Ordinal)).Select(FakeGitHub.BodyOf).ToList();

    [Fact]
    public async Task A_successful_deploy_is_a_deployment_in_progress_then_success_at_the_public_url()
    {
        var recorder = Recorder();

        await recorder.StartAsync(Prod, CancellationToken.None);
        await recorder.SucceededAsync(CancellationToken.None);

        Assert.Equal(
            ["POST /repos/octo-org/slipway/deployments", "POST /repos/octo-org/slipway/deployments/1/statuses", "POST /repos/octo-org/slipway/deployments/1/statuses"],
            github.Calls);
        var deployment = FakeGitHub.BodyOf(github.Requests[0]);
        Assert.Equal(FakeGitHub.Commit, deployment["ref"]!.GetValue<string>());
        Assert.Equal("production", deployment["environment"]!.GetValue<string>());
        Assert.False(deployment["auto_merge"]!.GetValue<bool>());
        Assert.Empty(deployment["required_contexts"]!.AsArray());
        Assert.True(deployment["production_environment"]!.GetValue<bool>());
        Assert.Equal(["in_progress", "success"], StatusBodies().Select(s => s["state"]!.GetValue<string>()));
        Assert.All(StatusBodies(), s => Assert.Equal("https://slipway.example.com/", s["environment_url"]!.GetValue<string>()));
        Assert.All(github.Requests, r => Assert.Equal($"token {GitHubOutput.Token}", r.Header("Authorization"), ignoreCase: true));
        Assert.Equal(
            ["GitHub deployment 1 of 1.4.0+6dcb09b to production (octo-org/slipway): in progress", "GitHub deployment 1: success, https://slipway.example.com/"],
            output.Info);
        output.AssertTokenNeverShown();
    }

    [Fact]
    public async Task A_deploy_that_rolled_itself_back_ends_as_a_failure_saying_so()
    {
        var recorder = Recorder();

        await recorder.StartAsync(Prod, CancellationToken.None);
        await recorder.FailedAsync(rolledBack: true, CancellationToken.None);

        var last = StatusBodies()[^1];
        Assert.Equal("failure", last["state"]!.GetValue<string>());
        Assert.Equal("1.4.0+6dcb09b failed and was rolled back", last["description"]!.GetValue<string>());
        Assert.Equal("https://slipway.example.com/", last["environment_url"]!.GetValue<string>());
        Assert.Equal("GitHub deployment 1: failure (rolled back)", output.Info[^1]);
    }

    [Fact]
    public async Task A_rollback_after_failed_smoke_checks_ends_the_deployment_as_rolled_back()
    {
        var recorder = Recorder();

        await recorder.StartAsync(Prod, CancellationToken.None);
        await recorder.SucceededAsync(CancellationToken.None);
        await recorder.RolledBackAsync("1.3.2+9ab01cd", CancellationToken.None);

        Assert.Equal(["in_progress", "success", "failure"], StatusBodies().Select(s => s["state"]!.GetValue<string>()));
        Assert.Equal("1.4.0+6dcb09b rolled back to 1.3.2+9ab01cd", StatusBodies()[^1]["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task Staging_is_its_own_environment_and_not_production()
    {
        await Recorder().StartAsync(Prod with { Environment = EnvironmentName.Staging }, CancellationToken.None);

        var deployment = FakeGitHub.BodyOf(github.Requests[0]);
        Assert.Equal("staging", deployment["environment"]!.GetValue<string>());
        Assert.False(deployment["production_environment"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_release_lists_the_deployed_images_by_digest()
    {
        var images = new PublishResult("123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        [
            new PublishedImage("123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-api:1.4.0-6dcb09b", "sha256:1f2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3", false),
            new PublishedImage("123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-nginx:1.4.0-6dcb09b", "sha256:9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b", false),
        ]);

        await Recorder().CreateReleaseAsync("1.4.0", Prod, images, CancellationToken.None);

        Assert.Equal(["POST /repos/octo-org/slipway/releases"], github.Calls);
        var release = FakeGitHub.BodyOf(github.Requests[0]);
        Assert.Equal("v1.4.0", release["tag_name"]!.GetValue<string>());
        Assert.Equal(FakeGitHub.Commit, release["target_commitish"]!.GetValue<string>());
        var body = release["body"]!.GetValue<string>();
        Assert.Contains("| `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-api:1.4.0-6dcb09b` | `sha256:1f2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3` |", body, StringComparison.Ordinal);
        Assert.Contains("| `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-nginx:1.4.0-6dcb09b` | `sha256:9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b` |", body, StringComparison.Ordinal);
        Assert.Equal(["GitHub release v1.4.0: https://github.com/octo-org/slipway/releases/tag/v1.4.0"], output.Info);
    }

    [Fact]
    public async Task Without_a_token_nothing_is_recorded_and_the_deploy_goes_on()
    {
        var recorder = Recorder(GitHubOutput.Access(github.Url, token: null));

        await recorder.StartAsync(Prod, CancellationToken.None);
        await recorder.SucceededAsync(CancellationToken.None);

        Assert.Equal(["GitHub deployment not recorded: no GITHUB_TOKEN or GH_TOKEN"], output.Info);
        Assert.Empty(github.Requests);
    }

    [Fact]
    public async Task A_GitHub_refusing_connections_is_skipped_in_one_line_and_the_deploy_goes_on()
    {
        var url = GitHubOutput.RefusingUrl();
        var recorder = Recorder(GitHubOutput.Access(url));

        await recorder.StartAsync(Prod, CancellationToken.None);
        await recorder.FailedAsync(rolledBack: false, CancellationToken.None);

        var line = Assert.Single(output.Info);
        Assert.StartsWith($"GitHub deployment not recorded: GitHub unreachable at {url}", line, StringComparison.Ordinal);
        Assert.Empty(output.Warnings);
    }

    [Fact]
    public async Task A_token_without_deployments_write_is_a_warning_not_a_failed_deploy()
    {
        github.Failure = (403, "resource-not-accessible.json");
        var recorder = Recorder();

        await recorder.StartAsync(Prod, CancellationToken.None);
        await recorder.SucceededAsync(CancellationToken.None);

        Assert.Equal(["GitHub deployment not recorded: GitHub answered 403 Resource not accessible by personal access token"], output.Warnings);
        Assert.Single(github.Requests);
        output.AssertTokenNeverShown();
    }

    [Fact]
    public async Task On_GitHub_Actions_the_job_s_environment_records_the_deployment()
    {
        await Recorder(GitHubOutput.Access(github.Url, onGitHubActions: true)).StartAsync(Prod, CancellationToken.None);

        Assert.Equal(["GitHub deployment: recorded by GitHub Actions for this job's environment"], output.Info);
        Assert.Empty(github.Requests);
    }
}
