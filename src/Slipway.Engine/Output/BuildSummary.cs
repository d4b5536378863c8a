using System.Globalization;

namespace Slipway.Engine;

/// <summary>The table at the end of a build: target, status, duration, note; then the verdict.</summary>
internal static class BuildSummary
{
    public static void Write(TextWriter writer, ExecutionPlan plan, string verdict)
    {
        var rows = plan.Targets.Select(t => (t.Name, Status: Status(t), Duration: Duration(t), Note: t.Note ?? "")).ToList();
        var nameWidth = Math.Max(6, rows.Max(r => r.Name.Length)) + 2;
        writer.WriteLine();
        writer.WriteLine($"{"Target".PadRight(nameWidth)}{"Status",-12}{"Duration",10}   Note");
        foreach (var (name, status, duration, note) in rows)
            writer.WriteLine($"{name.PadRight(nameWidth)}{status,-12}{duration,10}   {note}".TrimEnd());
        writer.WriteLine();
        writer.WriteLine(verdict);
    }

    /// <summary>The line that ends the build: succeeded, cancelled, or which target failed; with the time taken.</summary>
    public static string Verdict(TimeSpan elapsed, bool succeeded, string? firstFailure, bool cancelled, bool dryRun) =>
        succeeded ? (dryRun ? $"Dry run succeeded in {Format(elapsed)}: the targets that write did not run" : $"Build succeeded in {Format(elapsed)}")
        : cancelled ? $"Build cancelled after {Format(elapsed)}"
        : $"Build failed: {firstFailure} failed ({Format(elapsed)})";

    /// <summary>How long the target ran; empty when it did not run.</summary>
    public static string Duration(ExecutableTarget target) =>
        target.Status is TargetStatus.Skipped or TargetStatus.NotRun ? "" : Format(target.Duration);

    public static string Status(ExecutableTarget target) => target.Status switch
    {
        TargetStatus.NotRun => "Not run",
        var status => status.ToString(),
    };

    public static string Format(TimeSpan duration) => duration.TotalSeconds switch
    {
        < 1 => $"{duration.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms",
        < 60 => $"{duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s",
        _ => $"{(int)duration.TotalMinutes} min {duration.Seconds} s",
    };
}
