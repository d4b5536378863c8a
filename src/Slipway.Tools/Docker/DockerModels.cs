using System.Text.Json;

namespace Slipway.Tools.Docker;

public sealed record VersionResponse(string Version, string ApiVersion, string? MinAPIVersion, string Os, string Arch);

/// <summary>Credentials for one registry, sent to the engine as X-Registry-Auth (base64url JSON).</summary>
public sealed record RegistryAuth(string Username, string Password, string ServerAddress)
{
    internal static string Encode(object value) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(value, DockerTransport.Json))
            .Replace('+', '-').Replace('/', '_');

    internal string ToHeader() =>
        Encode(new Dictionary<string, string> { ["username"] = Username, ["password"] = Password, ["serveraddress"] = ServerAddress });

    internal static string EmptyHeader => Encode(new Dictionary<string, string>());

    /// <summary>X-Registry-Config for a build: credentials per registry, used to pull FROM images.</summary>
    internal static string ToConfigHeader(IEnumerable<RegistryAuth> auths) =>
        Encode(auths.ToDictionary(a => a.ServerAddress, a => new Dictionary<string, string> { ["username"] = a.Username, ["password"] = a.Password }));

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

    internal Dictionary<string, string[]>? ToFilters()
    {
        var filters = new Dictionary<string, string[]>();
        if (Labels.Count > 0)
            filters["label"] = [.. Labels];
        if (References.Count > 0)
            filters["reference"] = [.. References];
        return filters.Count == 0 ? null : filters;
    }
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
}

public sealed record ContainerState(string Status, bool Running, int ExitCode, ContainerHealth? Health);

public sealed record ContainerHealth(string Status);

public sealed record ContainerConfig(string Image, IReadOnlyDictionary<string, string>? Labels);

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
}

public sealed record NetworkInspect(string Id, string Name, string Driver, bool Internal, IReadOnlyDictionary<string, string>? Labels);

public sealed record VolumeCreateParameters(string Name)
{
    public string Driver { get; init; } = "local";

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}

public sealed record VolumeInspect(string Name, string Driver, string Mountpoint, IReadOnlyDictionary<string, string>? Labels);
