using Slipway.Tools.Processes;

namespace Slipway.Tools.Git;

/// <summary>What the pipeline needs to know about the checkout: the commit, its committer time, and whether it has local changes.</summary>
/// <param name="CommitTime">The committer time of HEAD (git log -1 --format=%ct): the SOURCE_DATE_EPOCH of reproducible builds; the Unix epoch outside a checkout.</param>
public sealed record GitRepository(string Commit, string ShortCommit, bool IsDirty, DateTimeOffset CommitTime)
{
    /// <summary>Reads the checkout at <paramref name="directory"/>; outside a git checkout the commit is "unknown".</summary>
    public static async Task<GitRepository> ReadAsync(string directory, CancellationToken cancellationToken = default)
    {
        var options = new ProcessOptions { WorkingDirectory = directory, CheckExitCode = false, Timeout = TimeSpan.FromSeconds(20) };
        try
        {
            var head = await ProcessRunner.RunAsync("git", ["rev-parse", "HEAD"], options, cancellationToken).ConfigureAwait(false);
            if (!head.Succeeded || head.StandardOutput.Count == 0)
                return new GitRepository("unknown", "unknown", IsDirty: true, DateTimeOffset.UnixEpoch);
            var status = await ProcessRunner.RunAsync("git", ["status", "--porcelain", "--untracked-files=no"], options, cancellationToken).ConfigureAwait(false);
            var time = await ProcessRunner.RunAsync("git", ["log", "-1", "--format=%ct"], options, cancellationToken).ConfigureAwait(false);
            var commit = head.StandardOutput[0].Trim();
            return new GitRepository(commit, commit[..7], status.StandardOutput.Any(l => l.Length > 0),
                DateTimeOffset.FromUnixTimeSeconds(long.Parse(time.StandardOutput[0].Trim(), System.Globalization.CultureInfo.InvariantCulture)));
        }
        catch (ToolNotFoundException)
        {
            return new GitRepository("unknown", "unknown", IsDirty: true, DateTimeOffset.UnixEpoch);
        }
    }
}
