using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;

namespace Slipway.DeployDriver;

/// <summary>
/// The driver running a <see cref="DeployOrder"/> as a child process, its output read line by line, so a
/// test can wait for a step of the deploy and kill it right there.
/// </summary>
public sealed class DriverProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly string? orderFile;
    private readonly Channel<string> lines = Channel.CreateUnbounded<string>();
    private readonly ConcurrentQueue<string> transcript = new();

    private DriverProcess(ProcessStartInfo start, string? orderFile)
    {
        this.orderFile = orderFile;
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                lines.Writer.TryComplete();
                return;
            }

            transcript.Enqueue(e.Data);
            lines.Writer.TryWrite(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                transcript.Enqueue("stderr: " + e.Data);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => process.Id;

    /// <summary>Everything the driver printed so far, stdout and stderr.</summary>
    public string Transcript => string.Join('\n', transcript);

    /// <summary>Starts the driver with the order in a temporary file and the registry password in the variable the order's environment names.</summary>
    public static DriverProcess Start(DeployOrder order, string registryPassword)
    {
        var variable = order.Environment.Registry.PasswordVariable
            ?? throw new ArgumentException("the order's registry names no password variable", nameof(order));
        var orderFile = Path.GetTempFileName();
        order.Write(orderFile);
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { typeof(DriverProcess).Assembly.Location, orderFile },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { [variable] = registryPassword },
        };
        return new DriverProcess(start, orderFile);
    }

    /// <summary>
    /// Starts <see cref="LedgerWriter"/> against the engine at <paramref name="dockerHost"/>: it writes releases 1 … <paramref name="count"/>
    /// and, before <paramref name="pauseBefore"/>, prints "writing N" and waits for <see cref="ContinueAsync"/>.
    /// </summary>
    public static DriverProcess StartLedgerWriter(Slipway.Delivery.Environments.StackNames names, int count, int pauseBefore, string dockerHost)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { typeof(DriverProcess).Assembly.Location, "ledger", names.Project, names.Environment, $"{count}", $"{pauseBefore}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            Environment = { ["DOCKER_HOST"] = dockerHost },
        };
        return new DriverProcess(start, null);
    }

    /// <summary>Lets a paused ledger writer go on.</summary>
    public async Task ContinueAsync()
    {
        await process.StandardInput.WriteLineAsync();
        await process.StandardInput.FlushAsync();
    }

    /// <summary>Waits for the first line that matches; fails with the transcript when the driver exits or the time runs out first.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        using var timer = new CancellationTokenSource(timeout);
        try
        {
            await foreach (var line in lines.Reader.ReadAllAsync(timer.Token))
            {
                if (match(line))
                    return line;
            }
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested)
        {
            throw new TimeoutException($"the driver printed no such line within {timeout.TotalSeconds:0} s:\n{Transcript}");
        }

        await process.WaitForExitAsync();
        throw new InvalidOperationException($"the driver exited with {process.ExitCode} without printing such a line:\n{Transcript}");
    }

    /// <summary>SIGKILL on Linux: the deploy stops mid-step with no chance to clean up. Returns the exit code once it is gone.</summary>
    public async Task<int> KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
            await KillAsync();
        process.Dispose();
        if (orderFile is not null)
            File.Delete(orderFile);
    }
}
