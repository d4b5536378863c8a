namespace Slipway.Tools.Tests.Trivy;

/// <summary>
/// A stand-in `trivy` executable: Trivy cannot be installed here, so tests put this script on the PATH
/// they hand the scanner. It replays reports written in Trivy's real format (JSON for `trivy image`,
/// SARIF for `trivy convert`) to the --output path it is given, and records each command line and the
/// environment it was given.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class StubTrivy : IDisposable
{
    public string Directory { get; }

    public string CallsLog => Path.Combine(Directory, "calls.log");

    public string SearchPath => Directory + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");

    public IReadOnlyList<string> Calls => File.Exists(CallsLog) ? File.ReadAllLines(CallsLog) : [];

    /// <summary>The names of the variables the last run was given.</summary>
    public IReadOnlyList<string> EnvironmentNames => File.ReadAllLines(CallsLog + ".env").Select(line => line.Split('=', 2)[0]).ToList();

    private StubTrivy(string script)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("slipway-stub-trivy-").FullName;
        var path = Path.Combine(Directory, "trivy");
        File.WriteAllText(path, script.Replace("@CALLS@", CallsLog, StringComparison.Ordinal));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>A trivy that answers `image` with <paramref name="jsonReport"/> and `convert` with <paramref name="sarifReport"/>.</summary>
    public static StubTrivy Replaying(string jsonReport, string sarifReport) => new($$"""
        #!/usr/bin/env bash
        set -euo pipefail
        echo "$*" >> '@CALLS@'
        env > '@CALLS@.env'
        command=$1; shift
        output=""; input=""
        while [ $# -gt 0 ]; do
          case $1 in
            --output) output=$2; shift 2 ;;
            --input) input=$2; shift 2 ;;
            *) shift ;;
          esac
        done
        case $command in
          image)
            [ -f "$input" ] || { echo "FATAL Fatal error: unable to open $input" >&2; exit 1; }
            echo "INFO [vuln] Vulnerability scanning is enabled" >&2
            cp '{{jsonReport}}' "$output" ;;
          convert) cp '{{sarifReport}}' "$output" ;;
          *) echo "unknown command $command" >&2; exit 1 ;;
        esac
        """);

    /// <summary>A trivy that fails the way it does when its vulnerability DB cannot be downloaded.</summary>
    public static StubTrivy Failing() => new("""
        #!/usr/bin/env bash
        echo "$*" >> '@CALLS@'
        echo "FATAL Fatal error: init error: DB error: failed to download vulnerability DB" >&2
        exit 1
        """);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
