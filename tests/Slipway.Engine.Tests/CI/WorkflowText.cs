using System.Text.RegularExpressions;

namespace Slipway.Engine.Tests.CI;

/// <summary>Reads generated workflow text back for assertions: the block of each job under <c>jobs:</c>.</summary>
internal static partial class WorkflowText
{
    public static IReadOnlyDictionary<string, string> Jobs(string yaml)
    {
        var jobs = yaml[(yaml.IndexOf("\njobs:\n", StringComparison.Ordinal) + 7)..];
        var starts = JobHeader().Matches(jobs).ToList();
        return starts.Select((m, i) => (m.Groups[1].Value, Text: jobs[m.Index..(i + 1 < starts.Count ? starts[i + 1].Index : jobs.Length)]))
            .ToDictionary(j => j.Value, j => j.Text);
    }

    public static string RunLine(string job) => RunCommand().Match(job).Groups[1].Value;

    [GeneratedRegex(@"^  ([a-z0-9-]+):$", RegexOptions.Multiline)]
    private static partial Regex JobHeader();

    [GeneratedRegex(@"^        run: (\./build\.sh .*)$", RegexOptions.Multiline)]
    private static partial Regex RunCommand();
}
