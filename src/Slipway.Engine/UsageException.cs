namespace Slipway.Engine;

/// <summary>A mistake in how the build was invoked or configured: one line on stderr, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>A target failed for a reason the user can act on: its message is the whole story, no stack trace.</summary>
public class BuildFailedException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The lowest code a failure may claim for itself: 0, 1 and 2 mean success, a failed target and a usage error.</summary>
    public const int FirstOwnExitCode = 3;

    /// <summary>The highest: shells report 126 and up for commands they could not run or that a signal ended.</summary>
    public const int LastOwnExitCode = 125;

    private readonly int exitCode = BuildRunner.TargetFailed;

    /// <summary>
    /// The build's exit code when this is its first failure: 1, or a code of its own (3–125) for a failure that
    /// scripts must tell apart from the others (another deploy holds the lock, say), documented with it.
    /// </summary>
    public int ExitCode
    {
        get => exitCode;
        init => exitCode = value is BuildRunner.TargetFailed or >= FirstOwnExitCode and <= LastOwnExitCode
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"a failure's exit code is 1 or {FirstOwnExitCode}–{LastOwnExitCode}: 0 is success and 2 a usage error");
    }
}
