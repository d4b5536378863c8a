using Slipway.Tools.Processes;

namespace Slipway.Tools.Trivy;

/// <summary>The reports one scan wrote: Trivy's JSON (parsed) and SARIF for GitHub code scanning.</summary>
public sealed record TrivyScan(string ImageTarball, string JsonReportPath, string SarifReportPath, TrivyReport Report);

/// <summary>
/// Runs Trivy against an image saved with `docker save`: `trivy image --input TAR --format json --output FILE`,
/// then `trivy convert --format sarif` on that JSON (no second scan). Policy (severities, ignores) is not
/// applied here; the JSON holds every finding and the caller's policy decides. Trivy runs with a minimal
/// environment: our AWS credentials, the GitHub OIDC request token and GITHUB_TOKEN never reach it.
/// <paramref name="searchPath"/> is the PATH to search (the process's PATH when null).
/// </summary>
public sealed class TrivyScanner(string executable = "trivy", string? searchPath = null)
{
    public string Executable { get; } = executable;

    /// <summary>The full path of the Trivy executable, or null when it is not installed.</summary>
    public string? Locate() => Locate(Executable, searchPath ?? Environment.GetEnvironmentVariable("PATH"));

    public static string? Locate(string executable, string? pathVariable)
    {
        if (executable.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
            return File.Exists(executable) ? Path.GetFullPath(executable) : null;
        return (pathVariable ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, executable))
            .FirstOrDefault(File.Exists);
    }

    public async Task<TrivyScan> ScanImageTarballAsync(
        string imageTarball, string outputDirectory, string reportName, Action<string> log, CancellationToken cancellationToken)
    {
        var trivy = Locate() ?? throw new TrivyNotFoundException(Executable);
        if (!File.Exists(imageTarball))
            throw new TrivyScanFailedException($"image tarball {imageTarball} does not exist: save the image (docker save) before scanning");

        Directory.CreateDirectory(outputDirectory);
        var json = Path.Combine(outputDirectory, reportName + ".trivy.json");
        var sarif = Path.Combine(outputDirectory, reportName + ".trivy.sarif");
        File.Delete(json);
        File.Delete(sarif);

        log($"trivy image --input {imageTarball}");
        await RunAsync(trivy, ["image", "--input", imageTarball, "--format", "json", "--output", json], log, cancellationToken);
        if (!File.Exists(json))
            throw new TrivyScanFailedException($"trivy image exited successfully but wrote no report at {json}");
        var report = TrivyReport.Load(json);

        log($"trivy convert --format sarif -> {sarif}");
        await RunAsync(trivy, ["convert", "--format", "sarif", "--output", sarif, json], log, cancellationToken);
        if (!File.Exists(sarif))
            throw new TrivyScanFailedException($"trivy convert exited successfully but wrote no SARIF at {sarif}");

        return new TrivyScan(imageTarball, json, sarif, report);
    }

    private static async Task RunAsync(string trivy, IReadOnlyList<string> arguments, Action<string> log, CancellationToken cancellationToken)
    {
        try
        {
            var options = new ProcessOptions { InheritOnly = ProcessOptions.ThirdPartyEnvironment("TRIVY_"), OnOutput = line => log(line.Text) };
            await ProcessRunner.RunAsync(trivy, arguments, options, cancellationToken);
        }
        catch (ProcessFailedException e)
        {
            throw new TrivyScanFailedException($"trivy {arguments[0]} failed with exit code {e.Result.ExitCode}: {LastError(e.Result)}");
        }
    }

    private static string LastError(ProcessResult result) =>
        result.StandardError.LastOrDefault(line => line.Length > 0) ?? "no output on stderr";
}
