namespace Slipway.Tools.Trivy;

/// <summary>Trivy is not installed (or not on PATH).</summary>
public sealed class TrivyNotFoundException(string executable) : Exception(
    $"trivy not found ('{executable}' is not on PATH): install it (https://trivy.dev/latest/getting-started/installation/, "
    + "e.g. 'brew install trivy' or Aqua's apt repository 'deb https://aquasecurity.github.io/trivy-repo/deb generic main') and re-run")
{
    public string Executable { get; } = executable;
}

/// <summary>Trivy ran but failed (non-zero exit or no report written).</summary>
public sealed class TrivyScanFailedException(string message) : Exception(message);
