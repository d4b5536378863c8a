namespace Slipway.Tools.Processes;

/// <summary>How to run a process; every property is optional.</summary>
public sealed record ProcessOptions
{
    public string? WorkingDirectory { get; init; }

    /// <summary>Variables added to (or, with a null value, removed from) the inherited environment.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Kill the process tree and fail when it runs longer than this.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Called for every line of stdout and stderr as it arrives (from a pool thread).</summary>
    public Action<OutputLine>? OnOutput { get; init; }

    /// <summary>Written to the process's standard input, which is then closed.</summary>
    public string? StandardInput { get; init; }

    /// <summary>Throw <see cref="ProcessFailedException"/> on a non-zero exit code (the default).</summary>
    public bool CheckExitCode { get; init; } = true;
}
