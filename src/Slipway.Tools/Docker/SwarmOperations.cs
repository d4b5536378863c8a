namespace Slipway.Tools.Docker;

/// <summary>The engine's swarm membership: whether it can take service commands, and joining a single-node swarm.</summary>
public sealed class SwarmOperations
{
    private readonly DockerTransport transport;

    internal SwarmOperations(DockerTransport transport) => this.transport = transport;

    /// <summary>This engine's node state ("inactive", "active", ...) and whether it is a manager.</summary>
    public async Task<SwarmNodeInfo> NodeAsync(CancellationToken ct = default) =>
        (await transport.GetJsonAsync<SystemInfo>("info", ct: ct).ConfigureAwait(false)).Swarm;

    /// <summary>
    /// Makes this engine a single-node swarm manager (docker swarm init). The ports are explicit so that
    /// two engines on one host can each run a swarm. <paramref name="advertiseAddress"/>: an IPv4 address, or an IPv6 one in brackets.
    /// </summary>
    public async Task InitAsync(string advertiseAddress, int listenPort = 2377, int dataPathPort = 4789, CancellationToken ct = default)
    {
        var body = new Dictionary<string, object>
        {
            ["ListenAddr"] = $"{advertiseAddress}:{listenPort}",
            ["AdvertiseAddr"] = $"{advertiseAddress}:{listenPort}",
            ["DataPathPort"] = dataPathPort,
            ["ForceNewCluster"] = false,
        };
        using var response = await transport.SendAsync(HttpMethod.Post, "swarm/init", content: DockerTransport.JsonBody(body), ct: ct).ConfigureAwait(false);
    }

    /// <summary>Leaves the swarm (docker swarm leave --force): on the last manager, the swarm and its services are gone.</summary>
    public async Task LeaveAsync(CancellationToken ct = default)
    {
        using var response = await transport.SendAsync(HttpMethod.Post, "swarm/leave", new Query().Add("force", true), ct: ct).ConfigureAwait(false);
    }

    private sealed record SystemInfo(SwarmNodeInfo Swarm);
}

/// <param name="LocalNodeState">"inactive", "pending", "active", "error" or "locked".</param>
/// <param name="ControlAvailable">True on a manager: services can be created and updated here.</param>
public sealed record SwarmNodeInfo(string LocalNodeState, bool ControlAvailable, string? NodeID)
{
    public bool IsManager => LocalNodeState == "active" && ControlAvailable;
}
