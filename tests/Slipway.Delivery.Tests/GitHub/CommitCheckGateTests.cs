using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Slipway.Delivery.GitHub;

namespace Slipway.Delivery.Tests.GitHub;

/// <summary>The commit check gate against <see cref="FakeGitHub"/>, which replays GitHub's documented REST responses.</summary>
public sealed class CommitCheckGateTests : IDisposable
{
    private readonly FakeGitHub github = new();
    private readonly GitHubOutput output = new();

    public void Dispose() => github.Dispose();

    private Task<string> VerifyAsync(bool force = false, bool uncommittedChanges = false, GitHubAccess? access = null) =>
        CommitCheckGate.VerifyAsync(access ?? GitHubOutput.Access(github.Url), new CommitCheckRequest(FakeGitHub.Commit, uncommittedChanges, force), output.Info.Add, output.Warnings.Add, CancellationToken.None);

    private async Task<string> RefusedAsync()
    {
        var refused = await Assert.ThrowsAsync<CommitChecksFailedException>(() => VerifyAsync());
        Assert.DoesNotContain('\n', refused.Message);
        Assert.EndsWith("or deploy anyway with --force", refused.Message, StringComparison.Ordinal);
        output.AssertTokenNeverShown(refused.Message);
        return refused.Message;
    }

    [Fact]
    public async Task Passing_statuses_and_check_runs_allow_the_deploy()
    {
        await VerifyAsync();

        Assert.Equal(["commit 6dcb09b passed its 5 checks on GitHub (octo-org/slipway)"], output.Info);
        Assert.Empty(output.Warnings);
        Assert.Equal(
            [$"GET /repos/octo-org/slipway/commits/{FakeGitHub.Commit}/status", $"GET /repos/octo-org/slipway/commits/{FakeGitHub.Commit}/check-runs"],
            github.Calls);
        Assert.All(github.Requests, r => Assert.Equal($"token {GitHubOutput.Token}", r.Header("Authorization"), ignoreCase: true));
    }

    [Fact]
    public async Task A_failed_check_run_refuses_the_deploy_naming_it()
    {
        github.CheckRuns = "check-runs-failure.json";

        var message = await RefusedAsync();

        Assert.StartsWith("commit 6dcb09b failed its checks on GitHub: check run 'Test' failure (https://github.com/octo-org/slipway/actions/runs/9931/job/4)", message, StringComparison.Ordinal);
        Assert.DoesNotContain("ScanImages", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_commit_status_refuses_the_deploy_naming_its_context()
    {
        github.CombinedStatus = "combined-status-failure.json";

        var message = await RefusedAsync();

        Assert.Contains("status 'continuous-integration/jenkins' failure (https://ci.example.com/1000/output)", message, StringComparison.Ordinal);
        Assert.DoesNotContain("security/brakeman", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pending_checks_refuse_the_deploy_naming_them()
    {
        github.CombinedStatus = "combined-status-pending.json";
        github.CheckRuns = "check-runs-in-progress.json";

        var message = await RefusedAsync();

        Assert.StartsWith("commit 6dcb09b has checks still running on GitHub: status 'continuous-integration/jenkins', check run 'Test' (in_progress): wait for them", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_commit_without_any_checks_is_refused()
    {
        github.CombinedStatus = "combined-status-none.json";
        github.CheckRuns = "check-runs-none.json";

        Assert.StartsWith("commit 6dcb09b has no checks on GitHub (octo-org/slipway)", await RefusedAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_runs_alone_are_enough_when_the_commit_has_no_statuses()
    {
        github.CombinedStatus = "combined-status-none.json";

        await VerifyAsync();

        Assert.Equal(["commit 6dcb09b passed its 3 checks on GitHub (octo-org/slipway)"], output.Info);
    }

    [Fact]
    public async Task A_commit_GitHub_does_not_know_is_refused()
    {
        github.Failure = (422, "commit-not-found.json");

        Assert.StartsWith($"commit 6dcb09b is not on GitHub (octo-org/slipway: 422 No commit found for SHA: {FakeGitHub.Commit}): push it", await RefusedAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_token_refuses_the_deploy_without_showing_the_token()
    {
        github.Failure = (401, "bad-credentials.json");

        Assert.StartsWith("GitHub refused to show the checks of 6dcb09b (401 Bad credentials): give the token statuses:read and checks:read", await RefusedAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Force_deploys_a_failed_commit_with_a_warning_naming_the_failure()
    {
        github.CheckRuns = "check-runs-failure.json";

        var summary = await VerifyAsync(force: true);

        var warning = Assert.Single(output.Warnings);
        Assert.Equal(warning, summary);
        Assert.StartsWith("commit 6dcb09b failed its checks on GitHub: check run 'Test' failure", warning, StringComparison.Ordinal);
        Assert.EndsWith(": deploying anyway (--force)", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Uncommitted_changes_are_refused_before_asking_GitHub()
    {
        var refused = await Assert.ThrowsAsync<CommitChecksFailedException>(() => VerifyAsync(uncommittedChanges: true));

        Assert.StartsWith("the checkout has uncommitted changes, so this deploy would not be commit 6dcb09b", refused.Message, StringComparison.Ordinal);
        Assert.Empty(github.Requests);
    }

    [Fact]
    public async Task On_GitHub_Actions_the_workflow_has_gated_the_deploy_already()
    {
        github.CheckRuns = "check-runs-failure.json";

        await VerifyAsync(access: GitHubOutput.Access(github.Url, onGitHubActions: true));

        Assert.Equal(["commit checks: skipped on GitHub Actions (the workflow deploys only after its checks passed)"], output.Info);
        Assert.Empty(github.Requests);
    }

    [Fact]
    public async Task Without_a_token_the_checks_are_skipped_in_one_line()
    {
        await VerifyAsync(access: GitHubOutput.Access(github.Url, token: null));

        Assert.Equal(["commit checks skipped: no GITHUB_TOKEN or GH_TOKEN"], output.Info);
        Assert.Empty(github.Requests);
    }

    [Fact]
    public async Task A_GitHub_refusing_connections_skips_the_checks_in_one_line()
    {
        var url = GitHubOutput.RefusingUrl();

        await VerifyAsync(access: GitHubOutput.Access(url));

        var line = Assert.Single(output.Info);
        Assert.StartsWith($"commit checks skipped: GitHub unreachable at {url}", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
        Assert.Empty(output.Warnings);
    }

    [Fact]
    public async Task A_GitHub_that_does_not_answer_in_time_skips_the_checks()
    {
        // Connections complete in the listener's backlog and are never answered.
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            var url = new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/");
            var clock = Stopwatch.StartNew();

            await VerifyAsync(access: GitHubOutput.Access(url, TimeSpan.FromMilliseconds(300)));

            Assert.Equal([$"commit checks skipped: GitHub did not answer at {url} in time"], output.Info);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"waited {clock.Elapsed} with a 300 ms timeout");
        }
        finally
        {
            silent.Stop();
        }
    }
}
