namespace Slipway.Tools.Processes;

/// <summary>How a finished process ended, with everything it printed.</summary>
public sealed record ProcessResult(
    string Command,
    int ExitCode,
    IReadOnlyList<string> StandardOutput,
    IReadOnlyList<string> StandardError,
    TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Standard output as one string, lines joined with '\n'.</summary>
    public string Output => string.Join('\n', StandardOutput);
}

public enum OutputStream
{
    StandardOutput,
    StandardError,
}

/// <summary>One line a process printed, as it arrives.</summary>
public readonly record struct OutputLine(OutputStream Stream, string Text);
