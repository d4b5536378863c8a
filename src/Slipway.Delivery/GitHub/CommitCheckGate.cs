using System.Net;
using Slipway.Tools.GitHub;

namespace Slipway.Delivery.GitHub;

/// <summary>The commit about to be deployed, and whether the checkout differs from it; Force deploys it whatever its checks say.</summary>
public sealed record CommitCheckRequest(string Commit, bool UncommittedChanges, bool Force)
{
    public string ShortCommit => Commit.Length > 7 ? Commit[..7] : Commit;
}

/// <summary>A deploy refused because the commit's checks on GitHub did not pass.</summary>
public sealed class CommitChecksFailedException(string message) : DeliveryException(message);

/// <summary>
/// Before a staging or prod deploy from a laptop: refuses a commit whose checks on GitHub failed, are still running,
/// or never ran, unless forced. Without a token or a GitHub remote, or with GitHub unreachable, it says so and lets
/// the deploy go on; on GitHub Actions the workflow has already gated the deploy on the checks.
/// </summary>
public static class CommitCheckGate
{
    /// <returns>The line it printed, for the build summary.</returns>
    public static async Task<string> VerifyAsync(GitHubAccess github, CommitCheckRequest request, Action<string> info, Action<string> warn, CancellationToken ct)
    {
        if (github.OnGitHubActions)
            return Said(info, "commit checks: skipped on GitHub Actions (the workflow deploys only after its checks passed)");

        if (github.Api is not { } api)
            return Said(info, $"commit checks skipped: {github.Unavailable}");

        if (request.UncommittedChanges)
            return Refuse($"the checkout has uncommitted changes, so this deploy would not be commit {request.ShortCommit}", "commit and push them and let CI run", request, warn);

        CommitChecksVerdict verdict;
        try
        {
            verdict = CommitChecks.Evaluate(await api.GetCommitChecksAsync(request.Commit, ct).ConfigureAwait(false));
        }
        catch (GitHubUnreachableException e)
        {
            return Said(info, $"commit checks skipped: {e.Message}");
        }
        catch (GitHubRequestException e) when (e.Status is HttpStatusCode.NotFound or HttpStatusCode.UnprocessableEntity)
        {
            return Refuse($"commit {request.ShortCommit} is not on GitHub ({api.Repository}: {e.Message})", "push it and let CI run", request, warn);
        }
        catch (GitHubRequestException e)
        {
            return Refuse($"GitHub refused to show the checks of {request.ShortCommit} ({e.Message})", $"give the token statuses:read and checks:read on {api.Repository}", request, warn);
        }

        if (verdict.Failed.Count > 0)
            return Refuse($"commit {request.ShortCommit} failed its checks on GitHub: {string.Join(", ", verdict.Failed)}", "fix them and push", request, warn);
        if (verdict.Pending.Count > 0)
            return Refuse($"commit {request.ShortCommit} has checks still running on GitHub: {string.Join(", ", verdict.Pending)}", "wait for them", request, warn);
        if (verdict.HasNoChecks)
            return Refuse($"commit {request.ShortCommit} has no checks on GitHub ({api.Repository})", "push it and let CI run", request, warn);
        return Said(info, $"commit {request.ShortCommit} passed its {verdict.Passed} checks on GitHub ({api.Repository})");
    }

    private static string Refuse(string problem, string remedy, CommitCheckRequest request, Action<string> warn)
    {
        if (!request.Force)
            throw new CommitChecksFailedException($"{problem}: {remedy}, or deploy anyway with --force");
        return Said(warn, $"{problem}: deploying anyway (--force)");
    }

    private static string Said(Action<string> say, string line)
    {
        say(line);
        return line;
    }
}
