using Slipway.Delivery.Environments;

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
    /// <summary>Only an environment on this machine (local, local-swarm), outside CI, may build without scanning.</summary>
    public static TrivyRequirement For(EnvironmentName environment, bool runningInCi) =>
        !runningInCi && environment.IsOnThisMachine()
            ? TrivyRequirement.Optional
            : TrivyRequirement.Required;
}
