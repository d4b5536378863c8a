using System.Diagnostics;

namespace Slipway.Testing;

/// <summary>The npm tools docker/scripts/install.sh test puts in .nuke/temp/node-tools, run with node.</summary>
public static class NodeTools
{
    public static string Modules => RepositoryRoot.Combine(".nuke", "temp", "node-tools", "node_modules");

    /// <summary>A file of an installed package, e.g. Path("dynalite", "cli.js").</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Modules, .. parts]);

    /// <summary>The package is installed and node is on the PATH.</summary>
    public static bool Installed(string package) => File.Exists(Path(package, "package.json")) && ToolFactAttribute.OnPath("node");

    /// <summary>Runs node to its end (at most <paramref name="limit"/>, 2 minutes by default): its exit code and what it wrote.</summary>
    public static (int Exit, string Stdout, string Stderr) Run(string workingDirectory, IReadOnlyList<string> arguments, string what, TimeSpan? limit = null)
    {
        var wait = limit ?? TimeSpan.FromMinutes(2);
        using var process = Process.Start(StartInfo(workingDirectory, arguments))!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(wait))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not finish within {wait.TotalMinutes:0.#} minutes");
        }

        return (process.ExitCode, stdout, stderr.GetAwaiter().GetResult());
    }

    /// <summary>Starts node as a child that runs until disposed (a server): killed with its children then.</summary>
    public static NodeProcess Start(string workingDirectory, IReadOnlyList<string> arguments) =>
        new(Process.Start(StartInfo(workingDirectory, arguments))!);

    private static ProcessStartInfo StartInfo(string workingDirectory, IReadOnlyList<string> arguments) =>
        new("node", arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
}

/// <summary>A node child process that runs until disposed; its output is kept for the failure messages of whoever waits on it.</summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process process;
    private readonly List<string> output = [];
    private readonly TaskCompletionSource exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal NodeProcess(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => exited.TrySetResult();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (process.HasExited)
            exited.TrySetResult();
    }

    public int Id => process.Id;

    public string Output
    {
        get
        {
            lock (output)
                return string.Join('\n', output);
        }
    }

    /// <summary>Waits until a line of its output contains <paramref name="text"/>; fails with its output if it exits or takes longer than <paramref name="limit"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (exited.Task.IsCompleted)
                throw new InvalidOperationException($"node exited before saying \"{text}\": {Output}");
            try
            {
                await Task.WhenAny(exited.Task, Task.Delay(50, timeout.Token)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"node did not say \"{text}\" within {limit.TotalSeconds:0} s: {Output}");
            }
        }
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited on its own meanwhile.
        }

        process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (output)
            output.Add(line);
    }
}
