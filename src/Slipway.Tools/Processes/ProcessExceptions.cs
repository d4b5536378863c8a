namespace Slipway.Tools.Processes;

/// <summary>The process exited with a non-zero code; the message names the command and its last stderr lines.</summary>
public sealed class ProcessFailedException : Exception
{
    public ProcessFailedException(ProcessResult result)
        : base(Describe(result)) => Result = result;

    public ProcessResult Result { get; }

    private static string Describe(ProcessResult result)
    {
        var tail = result.StandardError.Where(l => l.Length > 0).TakeLast(5).ToList();
        var detail = tail.Count == 0 ? "no output on stderr" : string.Join(" | ", tail);
        return $"'{result.Command}' failed with exit code {result.ExitCode}: {detail}";
    }
}

/// <summary>The executable is not on PATH (or not at the given path).</summary>
public sealed class ToolNotFoundException : Exception
{
    public ToolNotFoundException(string tool)
        : base($"'{tool}' not found on PATH: install it or add its folder to PATH") => Tool = tool;

    public string Tool { get; }
}

/// <summary>The process ran longer than its timeout and was killed with its children.</summary>
public sealed class ProcessTimeoutException : TimeoutException
{
    public ProcessTimeoutException(string command, TimeSpan timeout)
        : base($"'{command}' did not finish within {timeout.TotalSeconds:0.###} s and was killed") => Command = command;

    public string Command { get; }
}
