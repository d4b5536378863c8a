using System.Text.RegularExpressions;
using Slipway.Tools.Processes;

namespace Slipway.Delivery.Images;

/// <summary>The immutable tag every image gets: "&lt;semver&gt;-&lt;short git sha&gt;", e.g. 1.4.0-3f2a9c1.</summary>
public sealed partial record ImageVersion
{
    public ImageVersion(string semVer, string commit)
    {
        if (!SemVerPattern().IsMatch(semVer))
            throw new ImagePlanException($"version '{semVer}' is not a semantic version (MAJOR.MINOR.PATCH[-prerelease])");
        if (!CommitPattern().IsMatch(commit))
            throw new ImagePlanException($"commit '{commit}' is not a git sha");
        SemVer = semVer;
        Commit = commit.ToLowerInvariant();
    }

    public string SemVer { get; }

    /// <summary>The full commit sha (or as much as was given).</summary>
    public string Commit { get; }

    public string ShortSha => Commit[..Math.Min(7, Commit.Length)];

    public string Tag => $"{SemVer}-{ShortSha}";

    /// <summary>The version with the commit HEAD points at in <paramref name="repositoryRoot"/>.</summary>
    public static async Task<ImageVersion> FromGitAsync(string repositoryRoot, string semVer, CancellationToken ct = default)
    {
        try
        {
            var result = await ProcessRunner.RunAsync("git", ["rev-parse", "--verify", "HEAD"],
                new ProcessOptions { WorkingDirectory = repositoryRoot, Timeout = TimeSpan.FromSeconds(30) }, ct).ConfigureAwait(false);
            return new ImageVersion(semVer, result.Output.Trim());
        }
        catch (ProcessFailedException e)
        {
            throw new ImagePlanException($"cannot read the git commit in {repositoryRoot} (needs a git repository with at least one commit): {e.Message}");
        }
    }

    /// <summary>The semantic version kept in a one-line version file.</summary>
    public static string ReadVersionFile(string path) =>
        File.Exists(path)
            ? File.ReadAllText(path).Trim()
            : throw new ImagePlanException($"version file {path} not found: create it with a semantic version, e.g. 0.1.0");

    public override string ToString() => Tag;

    [GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$")]
    private static partial Regex SemVerPattern();

    [GeneratedRegex("^[0-9a-fA-F]{7,40}$")]
    private static partial Regex CommitPattern();
}
