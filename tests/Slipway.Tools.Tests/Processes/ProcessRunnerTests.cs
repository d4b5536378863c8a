using System.Collections.Concurrent;
using System.Diagnostics;
using Slipway.Tools.Processes;

namespace Slipway.Tools.Tests.Processes;

public sealed class ProcessRunnerTests
{
    [Fact]
    public async Task Captures_stdout_and_stderr_lines_and_the_exit_code()
    {
        var result = await ProcessRunner.RunAsync("sh", ["-c", "echo one; echo two; echo oops >&2"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["one", "two"], result.StandardOutput);
        Assert.Equal(["oops"], result.StandardError);
        Assert.Equal("one\ntwo", result.Output);
    }

    [Fact]
    public async Task Arguments_reach_the_process_verbatim_without_a_shell()
    {
        string[] tricky = ["a b", "$HOME", "it's", "; rm -rf /", "*"];

        var result = await ProcessRunner.RunAsync("sh", ["-c", "for a in \"$@\"; do printf '%s\\n' \"$a\"; done", "sh", .. tricky]);

        Assert.Equal(tricky, result.StandardOutput);
    }

    [Fact]
    public async Task Streams_lines_to_the_callback_while_the_process_runs()
    {
        // The process writes its second line only once the callback has seen the first: lines handed over at exit
        // would leave it waiting until the timeout.
        var gate = Path.Combine(Path.GetTempPath(), $"slipway-gate-{Guid.NewGuid():N}");
        var seen = new ConcurrentQueue<OutputLine>();
        try
        {
            await ProcessRunner.RunAsync("sh", ["-c", "echo early; while [ ! -e \"$1\" ]; do sleep 0.05; done; echo late >&2", "sh", gate], new ProcessOptions
            {
                OnOutput = line =>
                {
                    seen.Enqueue(line);
                    if (line.Text == "early")
                        File.WriteAllText(gate, "");
                },
                Timeout = TimeSpan.FromMinutes(1),
            });
        }
        finally
        {
            File.Delete(gate);
        }

        Assert.Equal([new OutputLine(OutputStream.StandardOutput, "early"), new OutputLine(OutputStream.StandardError, "late")], seen);
    }

    [Fact]
    public async Task A_failing_command_throws_naming_the_command_and_its_last_stderr_lines()
    {
        var error = await Assert.ThrowsAsync<ProcessFailedException>(() =>
            ProcessRunner.RunAsync("sh", ["-c", "echo noise >&2; echo 'disk full' >&2; exit 3"]));

        Assert.Equal(3, error.Result.ExitCode);
        Assert.Contains("'sh -c 'echo noise >&2; echo '\\''disk full'\\'' >&2; exit 3''", error.Message, StringComparison.Ordinal);
        Assert.Contains("exit code 3", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("noise | disk full", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task False_fails_and_true_succeeds()
    {
        await Assert.ThrowsAsync<ProcessFailedException>(() => ProcessRunner.RunAsync("false", []));
        Assert.True((await ProcessRunner.RunAsync("true", [])).Succeeded);
    }

    [Fact]
    public async Task Exit_code_check_can_be_turned_off()
    {
        var result = await ProcessRunner.RunAsync("false", [], new ProcessOptions { CheckExitCode = false });

        Assert.Equal(1, result.ExitCode);
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task A_missing_tool_is_one_clear_line()
    {
        var error = await Assert.ThrowsAsync<ToolNotFoundException>(() => ProcessRunner.RunAsync("slipway-no-such-tool", ["--version"]));

        Assert.Equal("'slipway-no-such-tool' not found on PATH: install it or add its folder to PATH", error.Message);
    }

    [Fact]
    public async Task Timeout_kills_the_process_tree()
    {
        var pidFile = Path.Combine(Path.GetTempPath(), $"slipway-child-{Guid.NewGuid():N}");
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<ProcessTimeoutException>(() => ProcessRunner.RunAsync(
            "sh", ["-c", $"sleep 30 & echo $! > {pidFile}; wait"], new ProcessOptions { Timeout = TimeSpan.FromSeconds(5) }));

        // Well before the grandchild's 30 s: the runner does not wait for it.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Contains("did not finish within 5 s", error.Message, StringComparison.Ordinal);
        var child = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        File.Delete(pidFile);
        Assert.False(IsAlive(child), "the grandchild 'sleep 30' survived the timeout");
    }

    [Fact]
    public async Task Cancellation_kills_the_process_and_throws_OperationCanceled()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ProcessRunner.RunAsync("sleep", ["30"], cancellationToken: cts.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Cancellation_kills_the_process_tree()
    {
        var pidFile = Path.Combine(Path.GetTempPath(), $"slipway-child-{Guid.NewGuid():N}");
        using var cts = new CancellationTokenSource();

        var run = ProcessRunner.RunAsync("sh", ["-c", $"sleep 30 & echo $! > {pidFile}; wait"], cancellationToken: cts.Token);
        for (var i = 0; i < 100 && !(File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n')); i++)
            await Task.Delay(50);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        var child = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        File.Delete(pidFile);
        Assert.False(IsAlive(child), "the grandchild 'sleep 30' survived the cancellation");
    }

    [Fact]
    public async Task A_process_that_exits_without_reading_its_input_is_not_an_error()
    {
        var result = await ProcessRunner.RunAsync("true", [], new ProcessOptions { StandardInput = new string('x', 1 << 20) });

        Assert.True(result.Succeeded);
    }

    [Fact]
    public async Task Environment_working_directory_and_stdin_are_passed()
    {
        var dir = Directory.CreateTempSubdirectory("slipway-proc-").FullName;
        try
        {
            var result = await ProcessRunner.RunAsync("sh", ["-c", "pwd; echo \"$SLIPWAY_X\"; cat"], new ProcessOptions
            {
                WorkingDirectory = dir,
                Environment = new Dictionary<string, string?> { ["SLIPWAY_X"] = "value" },
                StandardInput = "from stdin\n",
            });

            Assert.Equal([dir, "value", "from stdin"], result.StandardOutput);
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    private static bool IsAlive(int pid)
    {
        // A killed child may linger as a zombie until reaped; treat that as dead.
        var status = $"/proc/{pid}/status";
        for (var i = 0; i < 20 && File.Exists(status); i++)
        {
            if (File.ReadLines(status).Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains('Z', StringComparison.Ordinal)))
                return false;
            Thread.Sleep(100);
        }

        return File.Exists(status);
    }
}
