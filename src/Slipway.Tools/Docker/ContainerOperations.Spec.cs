using System.Globalization;
using Docker.DotNet.Models;
using Models = Docker.DotNet.Models;

namespace Slipway.Tools.Docker;

public sealed partial class ContainerOperations
{
    /// <summary>
    /// Creates (does not start) a container from a full <see cref="ContainerSpec"/> and attaches it to
    /// every listed network; returns its id. A name already taken fails with HTTP 409 (<see cref="DockerApiException"/>).
    /// </summary>
    public async Task<string> CreateAsync(ContainerSpec spec, CancellationToken ct = default)
    {
        var operation = $"docker create {spec.Name ?? spec.Image}";
        var created = await engine.CallAsync(operation, (docker, token) => docker.Containers.CreateContainerAsync(spec.ToParameters(), token), ct).ConfigureAwait(false);
        // Engines before API 1.44 take one network at create time; the others are connected before the first start.
        foreach (var network in spec.Networks.Skip(1))
        {
            await engine.CallAsync(operation, (docker, token) => docker.Networks.ConnectNetworkAsync(network.Name, new NetworkConnectParameters
            {
                Container = created.ID,
                EndpointConfig = new Models.EndpointSettings { Aliases = [.. network.Aliases] },
            }, token), ct).ConfigureAwait(false);
        }

        return created.ID;
    }

    /// <summary>Containers (running or not) carrying every given label ("key" or "key=value").</summary>
    public async Task<IReadOnlyList<ContainerSummary>> ListAsync(IReadOnlyList<string> labels, CancellationToken ct = default)
    {
        var containers = await engine.CallAsync("docker ps", (docker, token) =>
            docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = Filters.Of("label", labels) }, token), ct).ConfigureAwait(false);
        return containers.Select(c => new ContainerSummary(c.ID, c.Names?.ToArray() ?? [], c.Image, c.ImageID, c.State, c.Labels?.AsReadOnly())).ToArray();
    }

    /// <summary>The container, or null when there is none by that name or id.</summary>
    public Task<ContainerInspect?> TryInspectAsync(string id, CancellationToken ct = default) =>
        InspectAsync(id, ct).OrNullWhenNotFoundAsync();
}

/// <summary>One row of a container listing.</summary>
public sealed record ContainerSummary(
    string Id,
    IReadOnlyList<string> Names,
    string Image,
    string ImageID,
    string State,
    IReadOnlyDictionary<string, string>? Labels)
{
    /// <summary>The name without the engine's leading slash.</summary>
    public string Name => Names.Count > 0 ? Names[0].TrimStart('/') : Id;
}

/// <summary>A network a container joins, and the extra names it answers to there.</summary>
public sealed record NetworkAttachment(string Name, IReadOnlyList<string> Aliases);

/// <summary>A container health check, as in a Dockerfile HEALTHCHECK or a compose healthcheck.</summary>
public sealed record HealthcheckSpec(IReadOnlyList<string> Test, TimeSpan Interval, TimeSpan Timeout, int Retries, TimeSpan StartPeriod)
{
    /// <summary>The engine's HealthConfig: the same for a container and a swarm task.</summary>
    internal HealthcheckConfig ToConfig() => new()
    {
        Test = [.. Test],
        Interval = Interval,
        Timeout = Timeout,
        Retries = Retries,
        StartPeriod = StartPeriod,
    };
}

/// <summary>A container to create: what the engine's create body says, in the terms the deploy and the tests use.</summary>
public sealed record ContainerSpec
{
    /// <summary>Null: the engine picks a name.</summary>
    public string? Name { get; init; }

    public required string Image { get; init; }

    public IReadOnlyList<string>? Cmd { get; init; }

    public IReadOnlyList<string>? Entrypoint { get; init; }

    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public string? User { get; init; }

    public HealthcheckSpec? Healthcheck { get; init; }

    /// <summary>"no", "always", "unless-stopped" or "on-failure".</summary>
    public string? RestartPolicy { get; init; }

    public bool ReadOnlyRootfs { get; init; }

    public IReadOnlyList<string> CapDrop { get; init; } = [];

    public IReadOnlyList<string> SecurityOpt { get; init; } = [];

    /// <summary>Mount point → tmpfs options ("" for the defaults).</summary>
    public IReadOnlyDictionary<string, string> Tmpfs { get; init; } = new Dictionary<string, string>();

    /// <summary>"volume-or-host-path:/container/path[:ro]".</summary>
    public IReadOnlyList<string> Binds { get; init; } = [];

    public IReadOnlyList<PortBinding> Ports { get; init; } = [];

    /// <summary>The first is joined at create time, the rest right after.</summary>
    public IReadOnlyList<NetworkAttachment> Networks { get; init; } = [];

    public string? StopSignal { get; init; }

    internal CreateContainerParameters ToParameters()
    {
        var first = Networks.FirstOrDefault();
        return new CreateContainerParameters
        {
            Name = Name ?? "",
            Image = Image,
            // The library declares these non-null; null leaves them out, so the image's own apply.
            Cmd = Cmd?.ToList()!,
            Entrypoint = Entrypoint?.ToList()!,
            Env = [.. Env.Select(e => $"{e.Key}={e.Value}")],
            Labels = Labels.ToDictionary(),
            User = User ?? "",
            StopSignal = StopSignal,
            Healthcheck = Healthcheck?.ToConfig(),
            ExposedPorts = Ports.ToDictionary(p => $"{p.ContainerPort}/{p.Protocol}", _ => default(EmptyStruct)),
            HostConfig = new HostConfig
            {
                NetworkMode = first?.Name ?? "",
                Binds = [.. Binds],
                ReadonlyRootfs = ReadOnlyRootfs,
                CapDrop = [.. CapDrop],
                SecurityOpt = [.. SecurityOpt],
                Tmpfs = Tmpfs.ToDictionary(),
                RestartPolicy = RestartPolicy is null ? null! : new Models.RestartPolicy { Name = RestartPolicyKinds[RestartPolicy] },
                PortBindings = Ports.ToDictionary(
                    p => $"{p.ContainerPort}/{p.Protocol}",
                    p => (IList<Models.PortBinding>)[new Models.PortBinding { HostIP = p.HostIp, HostPort = p.HostPort == 0 ? "" : p.HostPort.ToString(CultureInfo.InvariantCulture) }]),
            },
            NetworkingConfig = first is null
                ? null
                : new NetworkingConfig { EndpointsConfig = new Dictionary<string, Models.EndpointSettings> { [first.Name] = new() { Aliases = [.. first.Aliases] } } },
        };
    }

    private static readonly Dictionary<string, RestartPolicyKind> RestartPolicyKinds = new()
    {
        ["no"] = RestartPolicyKind.No,
        ["always"] = RestartPolicyKind.Always,
        ["unless-stopped"] = RestartPolicyKind.UnlessStopped,
        ["on-failure"] = RestartPolicyKind.OnFailure,
    };
}
