using Slipway.Delivery.GitHub;
using Slipway.Delivery.Tests.Deployment.TestStack;

namespace Slipway.Delivery.Tests.GitHub;

/// <summary>The lines the GitHub steps print, as the build's Log.Info and Log.Warn would, and the access they run with.</summary>
internal sealed class GitHubOutput
{
    public const string Token = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";

    public List<string> Info { get; } = [];

    public List<string> Warnings { get; } = [];

    public IEnumerable<string> All => Info.Concat(Warnings);

    public static GitHubAccess Access(Uri apiUrl, TimeSpan? timeout = null, string? token = Token, bool onGitHubActions = false) =>
        GitHubAccess.Resolve(
            new Dictionary<string, string?>
            {
                ["GITHUB_TOKEN"] = token,
                ["GITHUB_API_URL"] = apiUrl.ToString(),
                ["GITHUB_ACTIONS"] = onGitHubActions ? "true" : null,
            }.GetValueOrDefault,
            $"git@github.com:{FakeGitHub.Repository}.git",
            timeout ?? TimeSpan.FromSeconds(5));

    /// <summary>A loopback address nothing listens on: connections to it are refused.</summary>
    public static Uri RefusingUrl() => new($"http://127.0.0.1:{DeployTestStack.FreePort()}/");

    public void AssertTokenNeverShown(params string[] more) =>
        Assert.DoesNotContain(All.Concat(more), line => line.Contains(Token, StringComparison.Ordinal));
}
