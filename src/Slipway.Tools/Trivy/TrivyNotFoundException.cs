namespace Slipway.Tools.Trivy;

/// <summary>Trivy is not installed (or not on PATH).</summary>
public sealed class TrivyNotFoundException(string executable) : Exception(
    $"trivy not found ('{executable}' is not on PATH): install the version CI uses with sudo docker/scripts/install-trivy.sh "
    + "(its SHA-256 verified), or see https://trivy.dev/latest/getting-started/installation/, and re-run")
{
    public string Executable { get; } = executable;
}

/// <summary>Trivy ran but failed (non-zero exit or no report written).</summary>
public sealed class TrivyScanFailedException(string message) : Exception(message);
