using Docker.DotNet.Models;

namespace Slipway.Tools.Docker;

/// <summary>The engine's swarm membership: whether it can take service commands, and joining a single-node swarm.</summary>
public sealed class SwarmOperations
{
    private readonly EngineConnection engine;

    internal SwarmOperations(EngineConnection engine) => this.engine = engine;

    /// <summary>This engine's node state ("inactive", "active", ...) and whether it is a manager.</summary>
    public async Task<SwarmNodeInfo> NodeAsync(CancellationToken ct = default)
    {
        var swarm = (await engine.CallAsync("docker info", (docker, token) => docker.System.GetSystemInfoAsync(token), ct).ConfigureAwait(false)).Swarm;
        return new SwarmNodeInfo(swarm.LocalNodeState ?? "inactive", swarm.ControlAvailable, swarm.NodeID is { Length: > 0 } id ? id : null);
    }

    /// <summary>
    /// Makes this engine a single-node swarm manager (docker swarm init). The ports are explicit so that
    /// two engines on one host can each run a swarm. <paramref name="advertiseAddress"/>: an IPv4 address, or an IPv6 one in brackets.
    /// </summary>
    public Task InitAsync(string advertiseAddress, int listenPort = 2377, int dataPathPort = 4789, CancellationToken ct = default) =>
        engine.CallAsync("docker swarm init", (docker, token) => docker.Swarm.InitSwarmAsync(new SwarmInitParameters
        {
            ListenAddr = $"{advertiseAddress}:{listenPort}",
            AdvertiseAddr = $"{advertiseAddress}:{listenPort}",
            DataPathPort = (uint)dataPathPort,
        }, token), ct);

    /// <summary>Leaves the swarm (docker swarm leave --force): on the last manager, the swarm and its services are gone.</summary>
    public Task LeaveAsync(CancellationToken ct = default) =>
        engine.CallAsync("docker swarm leave", (docker, token) => docker.Swarm.LeaveSwarmAsync(new SwarmLeaveParameters { Force = true }, token), ct);
}

/// <param name="LocalNodeState">"inactive", "pending", "active", "error" or "locked".</param>
/// <param name="ControlAvailable">True on a manager: services can be created and updated here.</param>
public sealed record SwarmNodeInfo(string LocalNodeState, bool ControlAvailable, string? NodeID)
{
    public bool IsManager => LocalNodeState == "active" && ControlAvailable;
}
