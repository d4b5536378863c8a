using System.Globalization;
using System.Text;

namespace Slipway.Benchmarks.Deploy;

/// <summary>The markdown report: one table per phase, a row per contender, ratios against the baseline.</summary>
internal static class DeployReport
{
    private static readonly (string Title, Func<ContenderResult, PhaseResult> Of)[] Phases =
    [
        ($"Deploy v2 ({Contender.V2}) under load", r => r.Deploy),
        ($"Roll back to v1 ({Contender.V1}) under load", r => r.Rollback),
    ];

    public static string Render(IReadOnlyList<ContenderResult> results, ContenderResult baseline, string machine)
    {
        var md = new StringBuilder()
            .AppendLine("# Deploy benchmark")
            .AppendLine()
            .AppendLine(machine)
            .AppendLine()
            .AppendLine("Every side ships the same two builds of the deploy tests' tiny app (nginx answering `/health` and `/version`")
            .AppendLine(CultureInfo.InvariantCulture, $"with a fixed version: v1 = {Contender.V1}, v2 = {Contender.V2}) by digest from the registry on 127.0.0.1:5000, behind")
            .AppendLine("the same edge nginx image, on one private engine the benchmark starts and removes. Every image is on the engine")
            .AppendLine("before anything is timed, so no timed phase downloads layers. Load: the deploy tests' load generator, 2 clients")
            .AppendLine("each sending HTTPS `GET /version` through nginx on 127.0.0.1 with 60 ms between requests (trusting only the")
            .AppendLine("generated CA), counted from 1 s before the timed call until 2 s after it returns. A failed request is any answer")
            .AppendLine("but 200 or a transport error.")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Baseline: {baseline.Contender.Name}. Ratio: a side's time over the baseline's (below 1 is faster).")
            .AppendLine();

        foreach (var (title, of) in Phases)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"## {title}")
                .AppendLine()
                .AppendLine("| | Time | Ratio to baseline | Failed requests | Requests | Versions that answered |")
                .AppendLine("|---|---|---|---|---|---|");
            foreach (var result in results)
            {
                var phase = of(result);
                var ratio = phase.Duration / of(baseline).Duration;
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {result.Contender.Name} | {Seconds(phase.Duration)} | {ratio:0.00} | {phase.Failed} | {phase.Requests} | {Versions(phase)} |");
            }

            md.AppendLine();
        }

        var ours = results.Where(r => r.Contender.Ours).ToArray();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Target: no failed request during our deploy and rollback: **{(ours.All(r => !r.Failed) ? "met" : "MISSED")}**.")
            .AppendLine();

        var failures = results.SelectMany(r => Phases.Select(p => (r.Contender.Name, p.Title, Phase: p.Of(r)))).Where(f => f.Phase.Failed > 0).ToArray();
        if (failures.Length > 0)
        {
            md.AppendLine("## Failed requests").AppendLine();
            foreach (var (name, title, phase) in failures)
            {
                var kinds = phase.Failures.GroupBy(f => f).Select(g => $"{g.Count()} × `{Shorten(g.Key)}`");
                md.AppendLine(CultureInfo.InvariantCulture, $"- {name}, {title.ToLowerInvariant()}: {string.Join("; ", kinds)}");
            }

            md.AppendLine();
        }

        md.AppendLine("## Setup").AppendLine();
        foreach (var result in results)
            md.AppendLine(CultureInfo.InvariantCulture, $"**{result.Contender.Name}.** {result.Contender.Setup.ReplaceLineEndings(" ")}").AppendLine();
        return md.ToString();
    }

    private static string Shorten(string failure)
    {
        var line = failure.ReplaceLineEndings(" ");
        return line.Length <= 160 ? line : line[..160] + "…";
    }

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    private static string Versions(PhaseResult phase) =>
        string.Join(", ", phase.Versions.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key} × {v.Value}"));
}
