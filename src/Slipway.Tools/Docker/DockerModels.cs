using Docker.DotNet.Models;
using Models = Docker.DotNet.Models;

namespace Slipway.Tools.Docker;

/// <summary>Credentials for one registry (the library sends them as X-Registry-Auth / X-Registry-Config).</summary>
public sealed record RegistryAuth(string Username, string Password, string ServerAddress)
{
    internal AuthConfig ToAuthConfig() => new() { Username = Username, Password = Password, ServerAddress = ServerAddress };

    // Keep the password out of logs and exception messages.
    public override string ToString() => $"RegistryAuth {{ Username = {Username}, ServerAddress = {ServerAddress} }}";
}

public sealed record ImageBuildParameters
{
    /// <summary>Names to tag the result with (repository:tag).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The Dockerfile's path inside the context.</summary>
    public string Dockerfile { get; init; } = "Dockerfile";

    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>The stage of a multi-stage Dockerfile to stop at.</summary>
    public string? Target { get; init; }

    public bool NoCache { get; init; }

    /// <summary>Credentials for registries the FROM images come from.</summary>
    public IReadOnlyList<RegistryAuth> RegistryAuths { get; init; } = [];
}

public sealed record ImageInspect(
    string Id,
    IReadOnlyList<string>? RepoTags,
    IReadOnlyList<string>? RepoDigests,
    long Size,
    string? Created,
    ImageConfig? Config)
{
    public IReadOnlyDictionary<string, string> Labels => Config?.Labels ?? new Dictionary<string, string>();

    internal static ImageInspect From(ImageInspectResponse image) => new(
        image.ID,
        image.RepoTags?.ToArray(),
        image.RepoDigests?.ToArray(),
        image.Size,
        image.Created?.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        image.Config is { } config
            ? new ImageConfig(
                config.Labels?.AsReadOnly(),
                config.User,
                config.Env?.ToArray(),
                config.Cmd?.ToArray(),
                config.Entrypoint?.ToArray(),
                config.Healthcheck is { } health
                    ? new HealthConfig(health.Test?.ToArray(), Nanoseconds(health.Interval), Nanoseconds(health.Timeout), (int)(health.Retries ?? 0))
                    : null)
            : null);

    private static long Nanoseconds(TimeSpan? value) => (value ?? TimeSpan.Zero).Ticks * 100;
}

public sealed record ImageConfig(
    IReadOnlyDictionary<string, string>? Labels,
    string? User,
    IReadOnlyList<string>? Env,
    IReadOnlyList<string>? Cmd,
    IReadOnlyList<string>? Entrypoint,
    HealthConfig? Healthcheck);

public sealed record HealthConfig(IReadOnlyList<string>? Test, long Interval, long Timeout, int Retries);

public sealed record ImageSummary(
    string Id,
    IReadOnlyList<string>? RepoTags,
    IReadOnlyList<string>? RepoDigests,
    long Size,
    long Created,
    IReadOnlyDictionary<string, string>? Labels);

/// <summary>Filters for listing images: label ("key" or "key=value") and reference patterns.</summary>
public sealed record ImageListFilter
{
    public IReadOnlyList<string> Labels { get; init; } = [];

    public IReadOnlyList<string> References { get; init; } = [];

    internal Dictionary<string, IDictionary<string, bool>> ToFilters()
    {
        var filters = new Dictionary<string, IDictionary<string, bool>>();
        if (Labels.Count > 0)
            filters["label"] = Filters.Values(Labels);
        if (References.Count > 0)
            filters["reference"] = Filters.Values(References);
        return filters;
    }
}

/// <summary>The engine's list filters: name → the accepted values.</summary>
internal static class Filters
{
    public static IDictionary<string, bool> Values(IEnumerable<string> values) => values.ToDictionary(v => v, _ => true);

    public static Dictionary<string, IDictionary<string, bool>> Of(string name, IEnumerable<string> values) => new() { [name] = Values(values) };
}

public sealed record PushResult(string Tag, string Digest, long Size);

public sealed record PortBinding(int ContainerPort, int HostPort = 0, string HostIp = "127.0.0.1", string Protocol = "tcp");

public sealed record ContainerInspect(string Id, string Name, ContainerState State, ContainerConfig Config, NetworkSettings NetworkSettings)
{
    /// <summary>The host port published for a container port, or null.</summary>
    public int? HostPort(int containerPort, string protocol = "tcp") =>
        NetworkSettings.Ports?.GetValueOrDefault($"{containerPort}/{protocol}")?.FirstOrDefault() is { } binding
            ? int.Parse(binding.HostPort, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    // The engine always sends State, Config and NetworkSettings; the library declares them nullable.
    internal static ContainerInspect From(ContainerInspectResponse container) => From(container, container.State!, container.Config!, container.NetworkSettings!);

    private static ContainerInspect From(ContainerInspectResponse container, State state, Models.ContainerConfig config, Models.NetworkSettings network) => new(
        container.ID,
        container.Name,
        new ContainerState(state.Status, state.Running, (int)state.ExitCode,
            state.Health is { } health ? new ContainerHealth(health.Status) : null),
        new ContainerConfig(config.Image ?? "", config.Labels?.AsReadOnly(), config.Cmd?.ToArray()),
        new NetworkSettings(
            network.Ports?.ToDictionary(
                p => p.Key,
                p => (IReadOnlyList<HostBinding>?)p.Value?.Select(b => new HostBinding(b.HostIP ?? "", b.HostPort ?? "")).ToArray()),
            network.Networks?.ToDictionary(
                n => n.Key,
                n => new EndpointSettings(n.Value.IPAddress, n.Value.Aliases?.ToArray()))));
}

public sealed record ContainerState(string Status, bool Running, int ExitCode, ContainerHealth? Health);

public sealed record ContainerHealth(string Status);

public sealed record ContainerConfig(string Image, IReadOnlyDictionary<string, string>? Labels, IReadOnlyList<string>? Cmd);

public sealed record NetworkSettings(
    IReadOnlyDictionary<string, IReadOnlyList<HostBinding>?>? Ports,
    IReadOnlyDictionary<string, EndpointSettings>? Networks);

public sealed record HostBinding(string HostIp, string HostPort);

public sealed record EndpointSettings(string? IPAddress, IReadOnlyList<string>? Aliases);

/// <summary>A container's output, separated by stream.</summary>
public sealed record ContainerLogs(string StandardOutput, string StandardError);

public sealed record NetworkCreateParameters(string Name)
{
    public string Driver { get; init; } = "bridge";

    /// <summary>No route outside the network.</summary>
    public bool Internal { get; init; }

    /// <summary>An overlay network that plain containers may join too, not only swarm tasks.</summary>
    public bool Attachable { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>The driver's options (e.g. com.docker.network.bridge.name).</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    /// <summary>The network's subnet (CIDR); null: the engine picks one from its pools.</summary>
    public string? Subnet { get; init; }
}

public sealed record NetworkInspect(string Id, string Name, string Driver, bool Internal, IReadOnlyDictionary<string, string>? Labels)
{
    internal static NetworkInspect From(NetworkResponse network) =>
        new(network.ID, network.Name, network.Driver, network.Internal, network.Labels?.AsReadOnly());
}

public sealed record VolumeCreateParameters(string Name)
{
    public string Driver { get; init; } = "local";

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}

public sealed record VolumeInspect(string Name, string Driver, string Mountpoint, IReadOnlyDictionary<string, string>? Labels)
{
    internal static VolumeInspect From(VolumeResponse volume) =>
        new(volume.Name, volume.Driver, volume.Mountpoint, volume.Labels?.AsReadOnly());
}
