using Slipway.Tools.GitHub;

namespace Slipway.Delivery.GitHub;

/// <summary>What a commit's checks on GitHub say about deploying it; each entry names the check (and where to read it).</summary>
public sealed record CommitChecksVerdict(IReadOnlyList<string> Failed, IReadOnlyList<string> Pending, int Passed)
{
    public bool HasNoChecks => Failed.Count + Pending.Count + Passed == 0;
}

/// <summary>
/// Which checks count: every latest commit status (its context) and every latest check run (its name). A status
/// passes when "success"; a check run when completed with success, neutral or skipped (GitHub shows those as not
/// blocking). Anything not finished is pending; every other outcome failed.
/// </summary>
public static class CommitChecks
{
    private static readonly HashSet<string> PassingConclusions = new(["success", "neutral", "skipped"], StringComparer.Ordinal);

    public static CommitChecksVerdict Evaluate(CommitCheckReports reports)
    {
        var failed = new List<string>();
        var pending = new List<string>();
        var passed = 0;
        foreach (var status in reports.Statuses)
        {
            switch (status.State)
            {
                case "success":
                    passed++;
                    break;
                case "pending":
                    pending.Add($"status '{status.Context}'");
                    break;
                default:
                    failed.Add($"status '{status.Context}' {status.State}{Where(status.TargetUrl)}");
                    break;
            }
        }

        foreach (var run in reports.CheckRuns)
        {
            if (run.Status != "completed")
                pending.Add($"check run '{run.Name}' ({run.Status})");
            else if (run.Conclusion is { } conclusion && PassingConclusions.Contains(conclusion))
                passed++;
            else
                failed.Add($"check run '{run.Name}' {run.Conclusion ?? "without conclusion"}{Where(run.HtmlUrl)}");
        }

        return new CommitChecksVerdict(failed, pending, passed);
    }

    private static string Where(string? url) => string.IsNullOrEmpty(url) ? "" : $" ({url})";
}
