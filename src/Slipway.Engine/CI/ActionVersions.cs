using System.Text.RegularExpressions;

namespace Slipway.Engine.CI;

/// <summary>
/// A release of an action: referenced by its major tag (<c>actions/checkout@v7</c>), or, when a workflow pins its
/// actions, by the release's commit with the version as a comment (<c>actions/checkout@3d3c… # v7.0.1</c>), the form
/// Dependabot keeps up to date.
/// </summary>
public sealed partial record ActionVersion
{
    public ActionVersion(string repository, string version, string commit)
    {
        if (!ReleaseVersion().IsMatch(version))
            throw new ArgumentException($"'{version}' is not a release version such as v7.0.1", nameof(version));
        if (!CommitSha().IsMatch(commit))
            throw new ArgumentException($"'{commit}' is not a full commit SHA (40 hex digits)", nameof(commit));
        Repository = repository;
        Version = version;
        Commit = commit;
    }

    /// <summary>owner/name, or owner/name/path for an action in a sub-folder (github/codeql-action/upload-sarif).</summary>
    public string Repository { get; }

    public string Version { get; }

    public string Commit { get; }

    public string Major => Version[..Version.IndexOf('.', StringComparison.Ordinal)];

    /// <summary>What a step's <c>uses:</c> names: the major tag, which follows the release line's fixes.</summary>
    public string Tagged => $"{Repository}@{Major}";

    /// <summary>The pinned form: the release's commit, then its version as a YAML comment.</summary>
    public string Pinned => $"{Repository}@{Commit} # {Version}";

    public override string ToString() => Tagged;

    [GeneratedRegex(@"^v\d+\.\d+\.\d+$")]
    private static partial Regex ReleaseVersion();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    internal static partial Regex CommitSha();
}

/// <summary>
/// The actions generated workflows use, in one place: the current major release of each (checked against each
/// action's releases), with the commit of its latest release for pinned workflows.
/// </summary>
public static class ActionVersions
{
    public static readonly ActionVersion Checkout = new("actions/checkout", "v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1");
    public static readonly ActionVersion SetupDotNet = new("actions/setup-dotnet", "v6.0.0", "a98b56852c35b8e3190ac28c8c2271da59106c68");
    public static readonly ActionVersion Cache = new("actions/cache", "v5.0.5", "27d5ce7f107fe9357f9df03efb73ab90386fccae");
    public static readonly ActionVersion UploadArtifact = new("actions/upload-artifact", "v7.0.0", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f");
    public static readonly ActionVersion DownloadArtifact = new("actions/download-artifact", "v8.0.1", "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c");
    public static readonly ActionVersion ConfigureAwsCredentials = new("aws-actions/configure-aws-credentials", "v6.2.3", "e6de054238d6b7531b4efff3b6587d9aade6a06c");
    public static readonly ActionVersion AmazonEcrLogin = new("aws-actions/amazon-ecr-login", "v2.1.7", "03f1aad4c6c7ffd436567f42f9384779290529bd");
    public static readonly ActionVersion UploadSarif = new("github/codeql-action/upload-sarif", "v4.36.2", "8aad20d150bbac5944a9f9d289da16a4b0d87c1e");

    public static IReadOnlyList<ActionVersion> All { get; } =
        [Checkout, SetupDotNet, Cache, UploadArtifact, DownloadArtifact, ConfigureAwsCredentials, AmazonEcrLogin, UploadSarif];

    /// <summary>What a step's <c>uses:</c> becomes in the file: as written, or pinned to a commit when the workflow pins.</summary>
    internal static string Reference(string uses, bool pin, string where)
    {
        if (!pin || uses.StartsWith("./", StringComparison.Ordinal) || uses.StartsWith("docker://", StringComparison.Ordinal))
            return uses;
        if (All.FirstOrDefault(a => a.Tagged == uses) is { } known)
            return known.Pinned;
        var at = uses.LastIndexOf('@');
        return at > 0 && ActionVersion.CommitSha().IsMatch(uses[(at + 1)..].Split(' ')[0])
            ? uses
            : throw new UsageException($"{where}: '{uses}' is not pinned to a commit: add it to ActionVersions or write owner/name@<40-hex commit> # vX.Y.Z");
    }
}
