using System.Diagnostics;

namespace Slipway.Delivery.Tests.Workflows.Simulator;

/// <summary>Processes the simulator runs: a tool with fixed arguments, or a step's script with its own environment and output.</summary>
internal static class Shell
{
    /// <summary>Runs a tool the simulator itself needs (git, cp); a failure is the simulator's, so it throws with the output.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, string? directory = null)
    {
        var output = new List<string>();
        var code = await RunAsync(file, arguments, directory ?? Environment.CurrentDirectory, null, l => { lock (output) output.Add(l); }, CancellationToken.None);
        if (code != 0)
            throw new WorkflowSimulationException($"{file} {string.Join(' ', arguments)} exited {code}: {string.Join('\n', output)}");
        return string.Join('\n', output);
    }

    /// <summary>Runs a process; with an environment, it gets exactly that (nothing of the test process's). Cancelling kills its tree.</summary>
    public static async Task<int> RunAsync(string file, IEnumerable<string> arguments, string directory,
        IReadOnlyDictionary<string, string>? environment, Action<string> line, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (environment is not null)
        {
            start.Environment.Clear();
            foreach (var (name, value) in environment)
                start.Environment[name] = value;
        }

        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) line(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) line(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellation);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw;
        }

        process.WaitForExit();
        return process.ExitCode;
    }
}
