using Slipway.Migrations;
using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>What a rollback is asked to do, for either strategy.</summary>
/// <param name="Variables">Values for the compose files' ${VARIABLES} (single host: the proxy image serving now, the secrets).</param>
/// <param name="RegistryAuth">Credentials for the environment's registry (swarm), or null.</param>
/// <param name="Migrations">The migrations folder, to tell which migrations an older release never saw are marked backward-compatible.</param>
public sealed record RollbackRequest(
    DeployEnvironment Environment,
    string RepositoryRoot,
    IReadOnlyDictionary<string, string> Variables,
    RegistryAuth? RegistryAuth,
    MigrationSet Migrations)
{
    /// <summary>The version to go back to; null: the release that served before the one serving now.</summary>
    public string? ToVersion { get; init; }

    /// <summary>Go back to a release older than the live schema even across migrations not marked backward-compatible.</summary>
    public bool AllowNewerSchema { get; init; }

    public LockHolder Who { get; init; } = LockHolder.Current();
}
