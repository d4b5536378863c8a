using System.Text.RegularExpressions;

namespace Slipway.Tools.GitHub;

/// <summary>A repository on GitHub: owner/name, as GITHUB_REPOSITORY gives it.</summary>
public sealed partial record GitHubRepositoryName(string Owner, string Name)
{
    /// <summary>"owner/name"; null when it is not that shape.</summary>
    public static GitHubRepositoryName? Parse(string? value) =>
        value is not null && OwnerAndName().Match(value.Trim()) is { Success: true } match
            ? new GitHubRepositoryName(match.Groups["owner"].Value, match.Groups["name"].Value)
            : null;

    /// <summary>
    /// A git remote URL on <paramref name="host"/>: https://host/owner/name(.git), git@host:owner/name(.git) or
    /// ssh://git@host(:port)/owner/name(.git); null for any other host or shape.
    /// </summary>
    public static GitHubRepositoryName? FromRemoteUrl(string? url, string host = "github.com")
    {
        if (url is null)
            return null;
        var match = RemoteUrl().Match(url.Trim());
        return match.Success && string.Equals(match.Groups["host"].Value, host, StringComparison.OrdinalIgnoreCase)
            ? new GitHubRepositoryName(match.Groups["owner"].Value, match.Groups["name"].Value)
            : null;
    }

    public override string ToString() => $"{Owner}/{Name}";

    [GeneratedRegex(@"^(?<owner>[A-Za-z0-9_.-]+)/(?<name>[A-Za-z0-9_.-]+)$")]
    private static partial Regex OwnerAndName();

    [GeneratedRegex(@"^(?:(?:https?|ssh|git)://(?:[^@/]+@)?(?<host>[^/:]+)(?::\d+)?/|[^@/]+@(?<host>[^:/]+):)(?<owner>[A-Za-z0-9_.-]+)/(?<name>[A-Za-z0-9_.-]+?)(?:\.git)?/?$")]
    private static partial Regex RemoteUrl();
}
