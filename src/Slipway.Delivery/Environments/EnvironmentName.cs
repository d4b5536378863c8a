using System.Text.Json;

namespace Slipway.Delivery.Environments;

/// <summary>
/// The environments a release moves through; each is described by a file in <c>.nuke/environments/</c> named
/// <see cref="EnvironmentNames.Id"/> (<c>local-swarm.json</c> for <see cref="LocalSwarm"/>). Adding one here, and
/// its file, is all it takes: --environment, --help and .nuke/build.schema.json list these members.
/// </summary>
public enum EnvironmentName
{
    /// <summary>This machine, single-host blue-green.</summary>
    Local,

    /// <summary>This machine, the engine made a single-node swarm: the swarm strategy beside <see cref="Local"/>.</summary>
    LocalSwarm,

    Staging,
    Prod,

    /// <summary>An AWS ECS Fargate service (the "ecs" strategy), its names from build/terraform's outputs; not in the generated deploy workflow.</summary>
    Ecs,
}

/// <summary>What an <see cref="EnvironmentName"/> implies, decided here only.</summary>
public static class EnvironmentNames
{
    /// <summary>How --environment, the file name and the stack's names spell it: <c>local-swarm</c>.</summary>
    public static string Id(this EnvironmentName name) => JsonNamingPolicy.KebabCaseLower.ConvertName(name.ToString());

    /// <summary>
    /// On the developer's machine: it may bootstrap an engine and registry, generate its missing secrets and skip the
    /// image scan outside CI, and it is never recorded on GitHub.
    /// </summary>
    public static bool IsOnThisMachine(this EnvironmentName name) => name is EnvironmentName.Local or EnvironmentName.LocalSwarm;

    /// <summary>The environments <see cref="IsOnThisMachine"/>, for messages: "local, local-swarm".</summary>
    public static string OnThisMachine => string.Join(", ", Enum.GetValues<EnvironmentName>().Where(IsOnThisMachine).Select(Id));
}
