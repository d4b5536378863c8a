namespace Slipway.Delivery.Scanning;

/// <summary>What to do when Trivy is not installed.</summary>
public enum TrivyRequirement
{
    /// <summary>Fail the build with an install hint (staging, production, CI).</summary>
    Required,

    /// <summary>Warn and skip scanning (a developer's local environment).</summary>
    Optional,
}

public static class TrivyRequirements
{
    /// <summary>Only the local environment outside CI may build without scanning.</summary>
    public static TrivyRequirement For(string environment, bool runningInCi) =>
        !runningInCi && string.Equals(environment, "local", StringComparison.OrdinalIgnoreCase)
            ? TrivyRequirement.Optional
            : TrivyRequirement.Required;
}
