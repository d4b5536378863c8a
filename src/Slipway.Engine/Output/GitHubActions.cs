using System.Collections;
using System.Text;

namespace Slipway.Engine;

/// <summary>
/// GitHub Actions' conventions, when the build runs there: each target's output in a collapsible group
/// (<c>::group::</c>/<c>::endgroup::</c>) and a failed target as an <c>::error::</c> annotation (GITHUB_ACTIONS=true);
/// the targets table and what the targets reported appended, as Markdown, to the job's step summary
/// (GITHUB_STEP_SUMMARY). Everything written passes the secret masker first.
/// </summary>
internal sealed class GitHubActions(bool workflowCommands, string? stepSummaryPath, SecretMasker masker)
{
    /// <summary>Null when neither convention applies (a developer's machine, another CI).</summary>
    public static GitHubActions? For(IDictionary environment, SecretMasker masker)
    {
        var workflowCommands = string.Equals(environment["GITHUB_ACTIONS"] as string, "true", StringComparison.OrdinalIgnoreCase);
        var stepSummary = environment["GITHUB_STEP_SUMMARY"] as string is { Length: > 0 } path ? path : null;
        return workflowCommands || stepSummary is not null ? new GitHubActions(workflowCommands, stepSummary, masker) : null;
    }

    public void StartGroup(string target)
    {
        if (workflowCommands)
            Log.Raw($"::group::{EscapeData(target)}");
    }

    public void EndGroup()
    {
        if (workflowCommands)
            Log.Raw("::endgroup::");
    }

    /// <summary>An error annotation: <paramref name="title"/> as its title, the message's lines kept as lines.</summary>
    public void Error(string title, string message)
    {
        if (workflowCommands)
            Log.Raw($"::error title={EscapeProperty(masker.Mask(title))}::{EscapeData(masker.Mask(message))}");
    }

    /// <summary>Appends the run's summary to the step summary file; a file that cannot be written is a warning, not a failed build.</summary>
    public void WriteSummary(ExecutionPlan plan, string verdict, bool succeeded)
    {
        if (stepSummaryPath is null)
            return;
        try
        {
            File.AppendAllText(stepSummaryPath, masker.Mask(StepSummary(plan, verdict, succeeded)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warn($"could not append the step summary to {stepSummaryPath}: {e.Message}");
        }
    }

    /// <summary>The verdict as a heading, the targets table, then each target's reported details under its name.</summary>
    internal static string StepSummary(ExecutionPlan plan, string verdict, bool succeeded)
    {
        var text = new StringBuilder();
        text.Append($"### {(succeeded ? "✅" : "❌")} {Cell(verdict)}\n\n");
        text.Append("| Target | Status | Duration | Note |\n| --- | --- | --- | --- |\n");
        foreach (var target in plan.Targets)
            text.Append($"| {Cell(target.Name)} | {BuildSummary.Status(target)} | {BuildSummary.Duration(target)} | {Cell(target.Note ?? "")} |\n");
        foreach (var target in plan.Targets.Where(t => t.Details.Count > 0))
        {
            text.Append($"\n#### {Cell(target.Name)}\n\n");
            foreach (var detail in target.Details)
                text.Append($"- {detail.ReplaceLineEndings(" ")}\n");
        }

        return text.Append('\n').ToString();
    }

    private static string Cell(string text) => text.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal);

    // https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts: escapeData and escapeProperty.
    private static string EscapeData(string text) =>
        text.Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);

    private static string EscapeProperty(string text) =>
        EscapeData(text).Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal);
}
