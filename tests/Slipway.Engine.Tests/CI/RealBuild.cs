using System.Diagnostics;

namespace Slipway.Engine.Tests.CI;

/// <summary>What one run of the real build printed, and the workflow files it left (file name → content).</summary>
internal sealed record GeneratedWorkflows(int ExitCode, string Output, IReadOnlyDictionary<string, string> Files)
{
    public string this[string file] => Files[file];
}

/// <summary>
/// The workflows this repository's real build generates: <c>dotnet _build.dll --generate-ci</c>, as ./build.sh runs it,
/// in a scratch root holding the repository's environment files (which the stages' needs are read from).
/// </summary>
internal static class RealBuild
{
    private static readonly Lazy<GeneratedWorkflows> Committed = new(() => Generate());

    /// <summary>The repository's own workflows as the build generates them now.</summary>
    public static GeneratedWorkflows Workflows => Committed.Value is { ExitCode: 0 } generated
        ? generated
        : throw new InvalidOperationException($"./build.sh --generate-ci failed: {Committed.Value.Output}");

    /// <param name="edit">Changes the scratch root (e.g. an environment file) before the build runs.</param>
    public static GeneratedWorkflows Generate(Action<string>? edit = null)
    {
        var root = Directory.CreateTempSubdirectory("slipway-real-build-").FullName;
        try
        {
            var environments = Path.Combine(root, ".nuke", "environments");
            Directory.CreateDirectory(environments);
            foreach (var file in Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, ".nuke", "environments"), "*.json"))
                File.Copy(file, Path.Combine(environments, Path.GetFileName(file)));
            edit?.Invoke(root);

            var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "_build.dll"), "--generate-ci"])
            {
                WorkingDirectory = root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var variable in new[] { "CI", "GITHUB_ACTIONS", "SLIPWAY_ENVIRONMENT" })
                start.Environment.Remove(variable);
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("./build.sh --generate-ci did not finish within 2 minutes");
            }

            var workflows = Path.Combine(root, ".github", "workflows");
            var files = Directory.Exists(workflows)
                ? Directory.EnumerateFiles(workflows).ToDictionary(f => Path.GetFileName(f), f => File.ReadAllText(f))
                : [];
            return new GeneratedWorkflows(process.ExitCode, stdout + stderr.GetAwaiter().GetResult(), files);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
