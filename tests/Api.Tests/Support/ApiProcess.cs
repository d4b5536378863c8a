using System.Collections.Concurrent;
using System.Diagnostics;

namespace Api.Tests.Support;

/// <summary>The built service run as a real child process (`dotnet Api.dll`), as the container runs it.</summary>
public sealed class ApiProcess : IDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> stdout = new();
    private readonly ConcurrentQueue<string> stderr = new();

    private ApiProcess(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) stdout.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) stderr.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => process.Id;

    public IReadOnlyList<string> Stdout => [.. stdout];

    public IReadOnlyList<string> Stderr => [.. stderr];

    /// <summary>The Api.dll next to the test assembly (the project reference copies it there).</summary>
    public static string AssemblyPath => Path.Combine(AppContext.BaseDirectory, "Api.dll");

    public static ApiProcess Start(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        Start(AssemblyPath, environment, arguments);

    public static ApiProcess Start(string assemblyPath, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(assemblyPath);
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        foreach (var name in new[] { "DATABASE_URL", "REDIS_URL", "PORT", "API_ENABLE_TEST_ENDPOINTS", "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS" })
            info.Environment.Remove(name);
        foreach (var (name, value) in environment)
            info.Environment[name] = value;
        return new ApiProcess(Process.Start(info)!);
    }

    /// <summary>Sends SIGTERM, as `docker stop` does.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
        return process.ExitCode;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit();
        }

        process.Dispose();
    }
}
