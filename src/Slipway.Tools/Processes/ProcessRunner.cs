using System.ComponentModel;
using System.Diagnostics;

namespace Slipway.Tools.Processes;

/// <summary>
/// Runs an executable with an argument list (never through a shell), streams its output lines,
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

        var startInfo = new ProcessStartInfo(resolved)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = options.WorkingDirectory ?? "",
        };
        foreach (var arg in args)
            startInfo.ArgumentList.Add(arg);
        foreach (var (name, value) in options.Environment)
        {
            if (value is null)
                startInfo.Environment.Remove(name);
            else
                startInfo.Environment[name] = value;
        }

        using var process = new Process { StartInfo = startInfo };
        var stopwatch = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch (Win32Exception)
        {
            throw new ToolNotFoundException(executable);
        }

        var stdout = new List<string>();
        var stderr = new List<string>();
        var pumpOut = Pump(process.StandardOutput, stdout, OutputStream.StandardOutput, options.OnOutput);
        var pumpErr = Pump(process.StandardError, stderr, OutputStream.StandardError, options.OnOutput);

        using var timeout = options.Timeout is { } limit ? new CancellationTokenSource(limit) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await FeedInput(process, options.StandardInput).ConfigureAwait(false);
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            await Task.WhenAll(pumpOut, pumpErr).ConfigureAwait(false);
            if (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                throw new ProcessTimeoutException(command, options.Timeout!.Value);
            throw;
        }

        await Task.WhenAll(pumpOut, pumpErr).ConfigureAwait(false);
        var result = new ProcessResult(command, process.ExitCode, stdout, stderr, stopwatch.Elapsed);
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

    private static async Task FeedInput(Process process, string? input)
    {
        try
        {
            if (input is not null)
                await process.StandardInput.WriteAsync(input).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The process exited without reading its input; its exit code tells the story.
        }
    }

    private static async Task Pump(StreamReader reader, List<string> lines, OutputStream stream, Action<OutputLine>? onOutput)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lock (lines)
                lines.Add(line);
            onOutput?.Invoke(new OutputLine(stream, line));
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static string Describe(string executable, IReadOnlyList<string> args) =>
        string.Join(' ', args.Prepend(executable).Select(Quote));

    private static string Quote(string arg) =>
        arg.Length > 0 && !arg.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$' or '\\')
            ? arg
            : "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
