using System.Text.RegularExpressions;
using Slipway.Delivery.Tests.Workflows.Simulator;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.Workflows;

/// <summary>
/// How the simulated runner serves deploy.yml's "Install Trivy" step. On GitHub the step runs docker/scripts/install-trivy.sh,
/// which downloads Trivy's release archive and installs it only when its SHA-256 is the pinned one. Here there is no
/// network, so nothing can be downloaded and Trivy (whose scan also downloads its vulnerability DB) cannot run: the step
/// is replaced by a stand-in <c>trivy</c> on the job's PATH that reports the version the script pins and answers
/// <c>trivy image</c> with a real Trivy report without findings (the clean.json fixture) and <c>trivy convert</c> with
/// an empty SARIF run. So the scenario proves the workflow scans and gates on the report, not what Trivy would find;
/// the script's checksum check is tested on its own (TrivyInstallTests, Slipway.Engine.Tests) and is not weakened here.
/// </summary>
internal static partial class RunnerTrivy
{
    public const string Step = "Install Trivy";

    public static async Task<bool> ServeAsync(SimulatedJob job)
    {
        var script = await File.ReadAllTextAsync(Path.Combine(job.Workspace, "docker", "scripts", "install-trivy.sh"));
        var version = PinnedVersion().Match(script) is { Success: true } match ? match.Groups[1].Value
            : throw new WorkflowSimulationException("docker/scripts/install-trivy.sh pins no TRIVY_VERSION");
        var bin = Directory.CreateDirectory(Path.Combine(job.Root, "tool", "trivy", version, "bin")).FullName;
        var trivy = Path.Combine(bin, "trivy");
        await File.WriteAllTextAsync(trivy, $$$"""
            #!/usr/bin/env bash
            # Stand-in for Trivy {{{version}}} (see RunnerTrivy): replays a clean report in Trivy's format.
            set -euo pipefail
            [[ ${1:-} == --version ]] && { echo "Version: {{{version}}}"; exit 0; }
            command=$1; shift
            output=""; input=""
            while (($#)); do
              case $1 in --output) output=$2; shift 2 ;; --input) input=$2; shift 2 ;; *) shift ;; esac
            done
            case $command in
              image)
                [[ -s $input ]] || { echo "FATAL Fatal error: unable to open $input" >&2; exit 1; }
                cp '{{{Path.Combine(TrivyReports.Fixtures, "clean.json")}}}' "$output" ;;
              convert)
                printf '%s\n' '{"version":"2.1.0","$schema":"https://json.schemastore.org/sarif-2.1.0.json","runs":[{"tool":{"driver":{"name":"Trivy","version":"{{{version}}}","rules":[]}},"results":[]}]}' > "$output" ;;
              *) echo "trivy stand-in: $command is not replayed" >&2; exit 1 ;;
            esac
            """);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(trivy, (UnixFileMode)0b111_101_101);
        job.AddPath(bin);
        job.Write($"Trivy {version} stand-in on PATH ({bin}): no network here to download the release archive");
        return true;
    }

    [GeneratedRegex(@"^TRIVY_VERSION=(\S+)", RegexOptions.Multiline)]
    private static partial Regex PinnedVersion();
}
