using Slipway.Tools.GitHub;

namespace Slipway.Delivery.GitHub;

/// <summary>How this build reaches the repository's GitHub API, or why it cannot (then GitHub steps are skipped, never failed).</summary>
public sealed record GitHubAccess(GitHubApi? Api, string? Unavailable, bool OnGitHubActions)
{
    /// <summary>
    /// The token from GITHUB_TOKEN or GH_TOKEN; the repository from GITHUB_REPOSITORY, else the origin remote on
    /// GITHUB_SERVER_URL's host (github.com); the API at GITHUB_API_URL (https://api.github.com).
    /// </summary>
    public static GitHubAccess Resolve(Func<string, string?> variable, string? originUrl, TimeSpan timeout)
    {
        var onGitHubActions = string.Equals(variable("GITHUB_ACTIONS"), "true", StringComparison.OrdinalIgnoreCase);
        var token = NonEmpty(variable("GITHUB_TOKEN")) ?? NonEmpty(variable("GH_TOKEN"));
        if (token is null)
            return new GitHubAccess(null, "no GITHUB_TOKEN or GH_TOKEN", onGitHubActions);
        var host = Uri.TryCreate(variable("GITHUB_SERVER_URL"), UriKind.Absolute, out var server) ? server.Host : "github.com";
        // The remote URL is never printed: it may carry credentials (https://user:token@host/...).
        var repository = GitHubRepositoryName.Parse(variable("GITHUB_REPOSITORY")) ?? GitHubRepositoryName.FromRemoteUrl(originUrl, host);
        if (repository is null)
            return new GitHubAccess(null, $"no GitHub remote (origin is not a {host} repository and GITHUB_REPOSITORY is unset)", onGitHubActions);
        var apiUrl = NonEmpty(variable("GITHUB_API_URL")) ?? "https://api.github.com";
        return Uri.TryCreate(apiUrl, UriKind.Absolute, out var api) && api.Scheme is "http" or "https"
            ? new GitHubAccess(new GitHubApi(api, token, repository, timeout), null, onGitHubActions)
            : new GitHubAccess(null, $"GITHUB_API_URL is not an http(s) URL: {apiUrl}", onGitHubActions);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
