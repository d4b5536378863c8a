using System.Globalization;
using System.Text;

namespace Slipway.Benchmarks.Deploy;

/// <summary>The markdown report: a row per kind of change, a column per side, ratios against the baseline and the goals.</summary>
internal static class DeployReport
{
    public static string Render(IReadOnlyList<ContenderResult> results, ContenderResult baseline, string machine)
    {
        var ours = results.Where(r => r.Contender.Ours).ToArray();
        var md = new StringBuilder()
            .AppendLine("# Deploy benchmark")
            .AppendLine()
            .AppendLine(machine)
            .AppendLine()
            .AppendLine("Every side ships the same builds, by digest from the registry on 127.0.0.1:5000, one after the other as a release")
            .AppendLine("manager would: the deploy tests' tiny app (nginx answering `/health` and `/version` with a fixed version,")
            .AppendLine(CultureInfo.InvariantCulture, $"{Releases.Version1} to {Releases.Version5}; {Releases.Version4} exits at start) behind the edge nginx, built per commit as the")
            .AppendLine(CultureInfo.InvariantCulture, $"zero-downtime tests build it (releases {Releases.E1}, {Releases.E2}, {Releases.E3}: a new `X-Edge-Release` header and landing page; {Releases.EBroken}")
            .AppendLine("answers without the security headers, so it fails the smoke checks through nginx). Each side starts serving")
            .AppendLine(CultureInfo.InvariantCulture, $"{Releases.Version1} behind {Releases.E1}, on one private engine the benchmark starts and removes. Every image is on the engine before")
            .AppendLine("anything is timed, so no timed phase downloads layers. Load: the deploy tests' load generator through nginx on")
            .AppendLine("127.0.0.1 (HTTPS `GET /version`, trusting only the generated CA), about 35 requests a second: 2 keep-alive clients")
            .AppendLine("(60 ms between requests) and 1 client opening a fresh connection and TLS handshake per request (80 ms), counted from")
            .AppendLine("1 s before the timed call until 2 s after it returns. A failed request is any answer but 200 or a transport error.")
            .AppendLine("One sample per phase: the sequence is stateful (each change starts from what the previous one left), and three runs")
            .AppendLine("of it would not fit the ~15 minutes this 2-core machine gives a benchmark. Single runs vary: four earlier runs")
            .AppendLine("put the blue-green app-only deploy at 0.67–1.27× the baseline, so read a ratio near its goal as a tie.")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Baseline: {baseline.Contender.Name} in the same run. Ratio: a side's time over the baseline's for the same change (below 1")
            .AppendLine("is faster). Goals: every row of ours 0 failed; deploy ≤ 1.0×, rollback ≤ 0.5× the baseline.")
            .AppendLine();

        var header = new StringBuilder("| Change | Goal |");
        var rule = new StringBuilder("|---|---|");
        foreach (var result in results)
        {
            header.Append(CultureInfo.InvariantCulture, $" {result.Contender.Name} |");
            rule.Append("---|");
        }

        md.AppendLine("## Time and failed requests").AppendLine().AppendLine(header.ToString()).AppendLine(rule.ToString());
        foreach (var change in Enum.GetValues<Change>())
        {
            var row = new StringBuilder().Append(CultureInfo.InvariantCulture, $"| {change.Title()} | ≤ {change.Goal():0.0}× |");
            var reference = baseline.Phases[change].Duration;
            foreach (var result in results)
            {
                var phase = result.Phases[change];
                var ratio = phase.Duration / reference;
                var times = ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×";
                var time = result == baseline ? Seconds(phase.Duration) : $"{Seconds(phase.Duration)} ({(ratio <= change.Goal() ? times : $"**{times}**")})";
                row.Append(CultureInfo.InvariantCulture, $" {time}, {Failed(phase)}{(phase.Otherwise is null ? "" : $", **{phase.Otherwise}**")} |");
            }

            md.AppendLine(row.ToString());
        }

        md.AppendLine()
            .AppendLine("A ratio in bold misses its goal. Serves after each change (version / edge release) and the load behind each row:")
            .AppendLine()
            .AppendLine("| Change | Side | Serves after | Requests (fresh connections) | Versions that answered | Edge releases that answered |")
            .AppendLine("|---|---|---|---|---|---|");
        foreach (var change in Enum.GetValues<Change>())
        {
            foreach (var result in results)
            {
                var phase = result.Phases[change];
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {change.Title()} | {result.Contender.Name} | {phase.After}{(phase.Otherwise is null ? "" : $": **{phase.Otherwise}**")} | {phase.Requests} ({phase.Fresh}) | {Counts(phase.Versions)} | {Counts(phase.Edges)} |");
            }
        }

        md.AppendLine();
        var changes = Enum.GetValues<Change>();
        var slower = ours.SelectMany(r => changes.Where(c => r.Phases[c].Duration / baseline.Phases[c].Duration > c.Goal()).Select(c => $"{r.Contender.Name}, {c.Title().ToLowerInvariant()}")).ToArray();
        var otherwise = ours.SelectMany(r => changes.Where(c => r.Phases[c].Otherwise is not null).Select(c => $"{r.Contender.Name}, {c.Title().ToLowerInvariant()}: {r.Phases[c].Otherwise}")).ToArray();
        md.AppendLine(CultureInfo.InvariantCulture, $"Goals, for the {ours.Length * changes.Length} rows of ours:").AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"- no failed request: **{(ours.All(r => !r.Failed) ? "met" : "MISSED")}**")
            .AppendLine(CultureInfo.InvariantCulture, $"- deploy ≤ 1.0×, rollback ≤ 0.5× the baseline: **{(slower.Length == 0 ? "met" : $"missed in {slower.Length}")}**{(slower.Length == 0 ? "" : $" ({string.Join("; ", slower)})")}")
            .AppendLine(CultureInfo.InvariantCulture, $"- every change went as it must (failed releases refused, rollbacks walking back): **{(otherwise.Length == 0 ? "met" : "MISSED")}**{(otherwise.Length == 0 ? "" : $" ({string.Join("; ", otherwise)}; undone untimed with a Rollback so the sequence goes on)")}")
            .AppendLine();

        var failures = results.SelectMany(r => changes.Select(c => (r.Contender.Name, Change: c, Phase: r.Phases[c]))).Where(f => f.Phase.Failed > 0).ToArray();
        if (failures.Length > 0)
        {
            md.AppendLine("## Failed requests").AppendLine();
            foreach (var (name, change, phase) in failures)
            {
                var kinds = phase.Failures.GroupBy(f => f).Select(g => $"{g.Count()} × `{Shorten(g.Key)}`");
                md.AppendLine(CultureInfo.InvariantCulture, $"- {name}, {change.Title().ToLowerInvariant()}: {string.Join("; ", kinds)}");
            }

            md.AppendLine();
        }

        md.AppendLine("## Setup").AppendLine();
        foreach (var result in results)
            md.AppendLine(CultureInfo.InvariantCulture, $"**{result.Contender.Name}.** {result.Contender.Setup.ReplaceLineEndings(" ")}").AppendLine();
        return md.ToString();
    }

    private static string Failed(PhaseResult phase) => phase.Failed == 0 ? "0 failed" : $"**{phase.Failed} failed**";

    private static string Shorten(string failure)
    {
        var line = failure.ReplaceLineEndings(" ");
        return line.Length <= 160 ? line : line[..160] + "…";
    }

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    private static string Counts(IReadOnlyDictionary<string, int> counts) =>
        string.Join(", ", counts.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{(v.Key.Length == 0 ? "(none)" : v.Key.Split('+')[0])} × {v.Value}"));
}
