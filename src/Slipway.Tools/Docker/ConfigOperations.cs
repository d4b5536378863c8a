using Docker.DotNet.Models;

namespace Slipway.Tools.Docker;

/// <summary>Swarm configs: small immutable files the swarm mounts into a service's tasks.</summary>
public sealed class ConfigOperations
{
    private readonly EngineConnection engine;

    internal ConfigOperations(EngineConnection engine) => this.engine = engine;

    /// <summary>Creates a config; returns its id. Configs cannot change: a new content needs a new name.</summary>
    public async Task<string> CreateAsync(string name, byte[] data, IReadOnlyDictionary<string, string> labels, CancellationToken ct = default) =>
        (await engine.CallAsync($"docker config create {name}", (docker, token) => docker.Configs.CreateConfigAsync(new SwarmCreateConfigParameters
        {
            Config = new SwarmConfigSpec { Name = name, Labels = labels.ToDictionary(), Data = data },
        }, token), ct).ConfigureAwait(false)).ID;

    /// <summary>Configs carrying every given label ("key" or "key=value").</summary>
    public async Task<IReadOnlyList<ConfigSummary>> ListAsync(IReadOnlyList<string> labels, CancellationToken ct = default)
    {
        var configs = await engine.CallAsync("docker config ls", (docker, token) => docker.Configs.ListConfigsAsync(token), ct).ConfigureAwait(false);
        return configs
            .Select(c => new ConfigSummary(c.ID, new ConfigSpecSummary(c.Spec.Name ?? "", c.Spec.Labels?.AsReadOnly())))
            .Where(c => labels.All(c.Spec.HasLabel))
            .ToArray();
    }

    public Task RemoveAsync(string idOrName, CancellationToken ct = default) =>
        engine.CallAsync($"docker config rm {idOrName}", (docker, token) => docker.Configs.RemoveConfigAsync(idOrName, token), ct);
}

public sealed record ConfigSummary(string ID, ConfigSpecSummary Spec);

public sealed record ConfigSpecSummary(string Name, IReadOnlyDictionary<string, string>? Labels)
{
    /// <summary>The engine's label filter: "key" (any value) or "key=value".</summary>
    internal bool HasLabel(string filter)
    {
        var equals = filter.IndexOf('=', StringComparison.Ordinal);
        return equals < 0
            ? Labels?.ContainsKey(filter) == true
            : Labels?.GetValueOrDefault(filter[..equals]) == filter[(equals + 1)..];
    }
}
