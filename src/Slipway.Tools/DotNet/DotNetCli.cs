using System.Text.RegularExpressions;
using Slipway.Tools.Processes;

namespace Slipway.Tools.DotNet;

/// <summary>The dotnet CLI verbs the pipeline uses, with their results parsed.</summary>
public static partial class DotNetCli
{
    public static Task<ProcessResult> RunAsync(IEnumerable<string> arguments, string workingDirectory, Action<string> log, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync("dotnet", arguments, Options(workingDirectory, log), cancellationToken);

    public static async Task<CompileResult> BuildAsync(string solution, string configuration, string version, string workingDirectory, Action<string> log, CancellationToken cancellationToken)
    {
        // Minimal verbosity names each project built ("X -> path"); only warnings and errors reach the log.
        var result = await RunAsync(
            ["build", solution, "-c", configuration, "--no-restore", "--nologo", "-v", "m", "-clp:NoSummary", $"-p:AppVersion={version}"],
            workingDirectory, line => { if (DiagnosticLine().IsMatch(line)) log(line); }, cancellationToken).ConfigureAwait(false);
        var projects = result.StandardOutput.Count(line => line.Contains(" -> ", StringComparison.Ordinal));
        var warnings = result.StandardOutput.Where(l => WarningLine().IsMatch(l)).Distinct().Count();
        return new CompileResult(projects, warnings);
    }

    /// <summary>Runs `dotnet test` with TRX results and Cobertura coverage in <paramref name="resultsDirectory"/>.</summary>
    public static async Task<TestRunResult> TestAsync(
        string solution, string configuration, string resultsDirectory, string? filter, string workingDirectory, Action<string> log, CancellationToken cancellationToken)
    {
        if (Directory.Exists(resultsDirectory))
            Directory.Delete(resultsDirectory, recursive: true);
        List<string> arguments =
        [
            "test", solution, "-c", configuration, "--no-build", "--nologo",
            "--results-directory", resultsDirectory,
            "--logger", "trx", "--logger", "console;verbosity=minimal",
            "--collect", "XPlat Code Coverage",
            // A hang guard per test, above the longest real one: the deploy workflow scenario runs two releases through
            // deploy.yml end to end (about 21 min on 2 cores in the full suite); at 10 min the guard killed it mid-run.
            "--blame-hang-timeout", "40m",
        ];
        if (filter is not null)
            arguments.AddRange(["--filter", filter]);
        var result = await ProcessRunner.RunAsync(
            "dotnet", arguments, Options(workingDirectory, log) with { CheckExitCode = false }, cancellationToken).ConfigureAwait(false);
        var counts = Directory.EnumerateFiles(resultsDirectory, "*.trx", SearchOption.AllDirectories)
            .Select(TrxSummary.Read)
            .Aggregate(TrxSummary.Empty, (a, b) => a + b);
        var coverage = Directory.EnumerateFiles(resultsDirectory, "coverage.cobertura.xml", SearchOption.AllDirectories).ToList();
        return new TestRunResult(result.ExitCode == 0, counts.Passed, counts.Failed, counts.Skipped, coverage);
    }

    private static ProcessOptions Options(string workingDirectory, Action<string> log) => new()
    {
        WorkingDirectory = workingDirectory,
        OnOutput = line =>
        {
            if (line.Text.Trim().Length > 0)
                log(line.Text.TrimEnd());
        },
        Environment = new Dictionary<string, string?> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" },
    };

    [GeneratedRegex(@"warning [A-Z]+\d+")]
    private static partial Regex WarningLine();

    [GeneratedRegex(@"(warning|error) [A-Z]+\d+")]
    private static partial Regex DiagnosticLine();
}

public sealed record CompileResult(int Projects, int Warnings);

public sealed record TestRunResult(bool Succeeded, int Passed, int Failed, int Skipped, IReadOnlyList<string> CoverageFiles);
