using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Slipway.Engine.CI;

namespace Slipway.Engine.Tests.CI;

/// <summary>docker/scripts/install-trivy.sh, which CI runs: Trivy at one pinned version, installed only with the pinned SHA-256. Nothing is downloaded here.</summary>
public sealed partial class TrivyInstallTests : IDisposable
{
    private static readonly string Script = Path.Combine(RepositoryPaths.Root, "docker", "scripts", "install-trivy.sh");

    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("slipway-trivy-install-");

    public void Dispose() => work.Delete(recursive: true);

    [Fact]
    public void A_file_with_the_expected_sha256_passes_the_check_silently()
    {
        var file = Write("archive.tar.gz", "not really trivy");

        var (exit, stdout, stderr) = Bash(Script, "--verify", file, Sha256(file));

        Assert.Equal((0, "", ""), (exit, stdout, stderr));
    }

    [Fact]
    public void A_file_with_another_sha256_fails_the_check_with_one_line_naming_both()
    {
        var file = Write("trivy_0.69.2_Linux-64bit.tar.gz", "tampered");
        var expected = new string('a', 64);

        var (exit, stdout, stderr) = Bash(Script, "--verify", file, expected);

        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Equal(
            $"error: trivy_0.69.2_Linux-64bit.tar.gz has SHA-256 {Sha256(file)}, expected {expected}: not installing it (a corrupt or tampered download)\n",
            stderr);
    }

    [Fact]
    public void An_archive_that_is_not_the_pinned_release_is_refused_before_anything_is_installed()
    {
        var archive = Write("trivy.tar.gz", "not the release");
        var prefix = Directory.CreateDirectory(Path.Combine(work.FullName, "prefix", "bin")).Parent!.FullName;

        var (exit, stdout, stderr) = Bash(Script, "--archive", archive, "--prefix", prefix);

        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Equal($"error: trivy.tar.gz has SHA-256 {Sha256(archive)}, expected {Pinned().Sha256}: not installing it (a corrupt or tampered download)\n", stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(prefix, "bin")));
    }

    [Fact]
    public void A_missing_archive_is_one_line()
    {
        var missing = Path.Combine(work.FullName, "nope.tar.gz");
        var prefix = Directory.CreateDirectory(Path.Combine(work.FullName, "prefix", "bin")).Parent!.FullName;

        var (exit, _, stderr) = Bash(Script, "--archive", missing, "--prefix", prefix);

        Assert.Equal((1, $"error: {missing} does not exist\n"), (exit, stderr));
    }

    [Fact]
    public void The_pin_is_one_version_and_a_full_sha256()
    {
        var (version, sha256) = Pinned();

        Assert.Matches(@"^\d+\.\d+\.\d+$", version);
        Assert.Matches("^[0-9a-f]{64}$", sha256);
        Assert.Contains($"# trivy_{version}_Linux-64bit.tar.gz", File.ReadAllText(Script), StringComparison.Ordinal);
    }

    [Fact]
    public void Ci_installs_trivy_with_the_script_and_nothing_else()
    {
        var step = WorkflowSteps.InstallTrivy();

        Assert.Equal("sudo bash docker/scripts/install-trivy.sh\ntrivy --version\n", step.Run);
        Assert.Null(step.Uses);
        Assert.Empty(step.Permissions);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(work.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static (string Version, string Sha256) Pinned()
    {
        var text = File.ReadAllText(Script);
        return (PinnedVersion().Match(text).Groups[1].Value, PinnedSha256().Match(text).Groups[1].Value);
    }

    private static (int ExitCode, string Stdout, string Stderr) Bash(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [GeneratedRegex(@"(?m)^TRIVY_VERSION=(\S+)$")]
    private static partial Regex PinnedVersion();

    [GeneratedRegex(@"(?m)^TRIVY_SHA256=(\S+)")]
    private static partial Regex PinnedSha256();
}
