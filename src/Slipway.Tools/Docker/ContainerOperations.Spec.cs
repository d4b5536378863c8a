using System.Globalization;

namespace Slipway.Tools.Docker;

public sealed partial class ContainerOperations
{
    /// <summary>
    /// Creates (does not start) a container from a full <see cref="ContainerSpec"/> and attaches it to
    /// every listed network; returns its id. A name already taken fails with HTTP 409 (<see cref="DockerApiException"/>).
    /// </summary>
    public async Task<string> CreateAsync(ContainerSpec spec, CancellationToken ct = default)
    {
        var created = await transport.PostJsonAsync<CreatedResponse>(
            "containers/create", spec.ToBody(), new Query().Add("name", spec.Name), ct).ConfigureAwait(false);
        // API 1.41 takes one network at create time; the others are connected before the first start.
        foreach (var network in spec.Networks.Skip(1))
        {
            await transport.SendAndForgetAsync(HttpMethod.Post, $"networks/{network.Name}/connect",
                body: new { Container = created.Id, EndpointConfig = new { Aliases = network.Aliases } }, ct: ct).ConfigureAwait(false);
        }

        return created.Id;
    }

    /// <summary>Containers (running or not) carrying every given label ("key" or "key=value").</summary>
    public Task<IReadOnlyList<ContainerSummary>> ListAsync(IReadOnlyList<string> labels, CancellationToken ct = default) =>
        transport.GetJsonAsync<IReadOnlyList<ContainerSummary>>("containers/json",
            new Query().Add("all", true).AddJson("filters", new Dictionary<string, IReadOnlyList<string>> { ["label"] = labels }), ct);

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
    /// <summary>The engine's HealthConfig, durations in nanoseconds: the same for a container and a swarm task.</summary>
    internal object ToBody() => new Dictionary<string, object>
    {
        ["Test"] = Test,
        ["Interval"] = Interval.Ticks * 100,
        ["Timeout"] = Timeout.Ticks * 100,
        ["Retries"] = Retries,
        ["StartPeriod"] = StartPeriod.Ticks * 100,
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

    internal object ToBody()
    {
        var first = Networks.FirstOrDefault();
        return new Dictionary<string, object?>
        {
            ["Image"] = Image,
            ["Cmd"] = Cmd,
            ["Entrypoint"] = Entrypoint,
            ["Env"] = Env.Select(e => $"{e.Key}={e.Value}").ToArray(),
            ["Labels"] = Labels,
            ["User"] = User,
            ["Tty"] = false,
            ["StopSignal"] = StopSignal,
            ["Healthcheck"] = Healthcheck?.ToBody(),
            ["ExposedPorts"] = Ports.ToDictionary(p => $"{p.ContainerPort}/{p.Protocol}", _ => new object()),
            ["HostConfig"] = new Dictionary<string, object?>
            {
                ["NetworkMode"] = first?.Name,
                ["Binds"] = Binds,
                ["ReadonlyRootfs"] = ReadOnlyRootfs,
                ["CapDrop"] = CapDrop,
                ["SecurityOpt"] = SecurityOpt,
                ["Tmpfs"] = Tmpfs,
                ["RestartPolicy"] = RestartPolicy is null ? null : new Dictionary<string, string> { ["Name"] = RestartPolicy },
                ["PortBindings"] = Ports.ToDictionary(
                    p => $"{p.ContainerPort}/{p.Protocol}",
                    p => new[] { new Dictionary<string, string> { ["HostIp"] = p.HostIp, ["HostPort"] = p.HostPort == 0 ? "" : p.HostPort.ToString(CultureInfo.InvariantCulture) } }),
            },
            ["NetworkingConfig"] = first is null
                ? null
                : new { EndpointsConfig = new Dictionary<string, object> { [first.Name] = new { Aliases = first.Aliases } } },
        };
    }
}
