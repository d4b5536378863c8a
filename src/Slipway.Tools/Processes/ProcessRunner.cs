using System.ComponentModel;
using System.Text;
using CliWrap;

namespace Slipway.Tools.Processes;

/// <summary>
/// Runs an executable with an argument list (never through a shell) on CliWrap, streams its output lines,
/// and kills the whole process tree on timeout or cancellation.
/// </summary>
public static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(
        string executable,
        IEnumerable<string> arguments,
        ProcessOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(executable);
        options ??= new ProcessOptions();
        var args = arguments.ToList();
        var command = Describe(executable, args);
        var resolved = Resolve(executable) ?? throw new ToolNotFoundException(executable);

        var stdout = new List<string>();
        var stderr = new List<string>();
        var cli = Cli.Wrap(resolved)
            .WithArguments(args)
            .WithEnvironmentVariables(EnvironmentOf(options))
            .WithStandardInputPipe(options.StandardInput is { } input ? PipeSource.FromString(input, Encoding.UTF8) : PipeSource.Null)
            .WithStandardOutputPipe(Collect(stdout, OutputStream.StandardOutput, options.OnOutput))
            .WithStandardErrorPipe(Collect(stderr, OutputStream.StandardError, options.OnOutput))
            .WithValidation(CommandResultValidation.None);
        if (options.WorkingDirectory is { } directory)
            cli = cli.WithWorkingDirectory(directory);

        using var timeout = new CancellationTokenSource();
        if (options.Timeout is { } limit)
            timeout.CancelAfter(limit);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        CommandResult finished;
        try
        {
            // Cancelling CliWrap's (forceful) token kills the process with its whole tree.
            finished = await cli.ExecuteAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ProcessTimeoutException(command, options.Timeout!.Value);
        }
        catch (Win32Exception)
        {
            throw new ToolNotFoundException(executable);
        }

        var result = new ProcessResult(command, finished.ExitCode, stdout, stderr, finished.RunTime);
        if (options.CheckExitCode && result.ExitCode != 0)
            throw new ProcessFailedException(result);
        return result;
    }

    /// <summary>The full path of an executable found on PATH, or null; a path with a slash is checked as is.</summary>
    public static string? Resolve(string executable)
    {
        if (executable.Contains('/', StringComparison.Ordinal))
            return File.Exists(executable) ? Path.GetFullPath(executable) : null;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, executable))
            .FirstOrDefault(File.Exists);
    }

    // CliWrap starts from this process's environment: a null value removes a variable.
    private static Dictionary<string, string?> EnvironmentOf(ProcessOptions options)
    {
        var variables = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (options.InheritOnly is { } inherited)
        {
            foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(name => !inherited.Contains(name)))
                variables[name] = null;
        }

        foreach (var (name, value) in options.Environment)
            variables[name] = value;
        return variables;
    }

    private static PipeTarget Collect(List<string> lines, OutputStream stream, Action<OutputLine>? onOutput) =>
        PipeTarget.ToDelegate(
            line =>
            {
                lock (lines)
                    lines.Add(line);
                onOutput?.Invoke(new OutputLine(stream, line));
            },
            Encoding.UTF8);

    private static string Describe(string executable, IReadOnlyList<string> args) =>
        string.Join(' ', args.Prepend(executable).Select(Quote));

    private static string Quote(string arg) =>
        arg.Length > 0 && !arg.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$' or '\\')
            ? arg
            : "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
