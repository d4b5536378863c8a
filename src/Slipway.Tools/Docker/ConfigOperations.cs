namespace Slipway.Tools.Docker;

/// <summary>Swarm configs: small immutable files the swarm mounts into a service's tasks.</summary>
public sealed class ConfigOperations
{
    private readonly DockerTransport transport;

    internal ConfigOperations(DockerTransport transport) => this.transport = transport;

    /// <summary>Creates a config; returns its id. Configs cannot change: a new content needs a new name.</summary>
    public async Task<string> CreateAsync(string name, byte[] data, IReadOnlyDictionary<string, string> labels, CancellationToken ct = default)
    {
        var body = new { Name = name, Labels = labels, Data = Convert.ToBase64String(data) };
        return (await transport.PostJsonAsync<Created>("configs/create", body, ct: ct).ConfigureAwait(false)).ID;
    }

    /// <summary>Configs carrying every given label ("key" or "key=value").</summary>
    public Task<IReadOnlyList<ConfigSummary>> ListAsync(IReadOnlyList<string> labels, CancellationToken ct = default) =>
        transport.GetJsonAsync<IReadOnlyList<ConfigSummary>>("configs",
            new Query().AddJson("filters", new Dictionary<string, IReadOnlyList<string>> { ["label"] = labels }), ct);

    public Task RemoveAsync(string idOrName, CancellationToken ct = default) =>
        transport.SendAndForgetAsync(HttpMethod.Delete, $"configs/{idOrName}", ct: ct);

    private sealed record Created(string ID);
}

public sealed record ConfigSummary(string ID, ConfigSpecSummary Spec);

public sealed record ConfigSpecSummary(string Name, IReadOnlyDictionary<string, string>? Labels);
