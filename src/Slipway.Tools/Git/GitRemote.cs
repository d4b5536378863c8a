using Slipway.Tools.Processes;

namespace Slipway.Tools.Git;

/// <summary>The URL of a checkout's remote, as git has it configured.</summary>
public static class GitRemote
{
    /// <summary>`git remote get-url`; null when there is no such remote, no checkout, or no git.</summary>
    public static async Task<string?> UrlAsync(string directory, string remote = "origin", CancellationToken ct = default)
    {
        var options = new ProcessOptions { WorkingDirectory = directory, CheckExitCode = false, Timeout = TimeSpan.FromSeconds(20) };
        try
        {
            var result = await ProcessRunner.RunAsync("git", ["remote", "get-url", remote], options, ct).ConfigureAwait(false);
            return result.Succeeded && result.StandardOutput.Count > 0 ? result.StandardOutput[0].Trim() : null;
        }
        catch (ToolNotFoundException)
        {
            return null;
        }
    }
}
