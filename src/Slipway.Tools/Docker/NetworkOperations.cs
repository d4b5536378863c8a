using System.Net;
using Docker.DotNet.Models;

namespace Slipway.Tools.Docker;

public sealed partial class NetworkOperations
{
    private readonly EngineConnection engine;

    internal NetworkOperations(EngineConnection engine) => this.engine = engine;

    /// <summary>Creates a network; returns its id. A name already taken is an error (HTTP 409), not a second network.</summary>
    public async Task<string> CreateAsync(NetworkCreateParameters parameters, CancellationToken ct = default)
    {
        // Engines before API 1.44 make a second network of the same name unless asked not to (CheckDuplicate,
        // which the library, made for newer engines, no longer sends), so the name is checked here.
        if (await TryInspectAsync(parameters.Name, ct).ConfigureAwait(false) is { } existing && existing.Name == parameters.Name)
            throw new DockerApiException(HttpStatusCode.Conflict, $"network with name {parameters.Name} already exists");
        return (await engine.CallAsync($"docker network create {parameters.Name}", (docker, token) => docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
        {
            Name = parameters.Name,
            Driver = parameters.Driver,
            Internal = parameters.Internal,
            Attachable = parameters.Attachable,
            Labels = parameters.Labels.ToDictionary(),
            Options = parameters.Options.ToDictionary(),
            IPAM = parameters.Subnet is { } subnet ? new IPAM { Config = [new IPAMConfig { Subnet = subnet }] } : null,
        }, token), ct).ConfigureAwait(false)).ID;
    }

    public async Task<NetworkInspect> InspectAsync(string idOrName, CancellationToken ct = default) =>
        NetworkInspect.From(await engine.CallAsync($"docker network inspect {idOrName}", (docker, token) => docker.Networks.InspectNetworkAsync(idOrName, token), ct).ConfigureAwait(false));

    /// <summary>The networks whose name contains <paramref name="name"/> (the engine's name filter).</summary>
    public async Task<IReadOnlyList<NetworkInspect>> ListAsync(string name, CancellationToken ct = default) =>
        (await engine.CallAsync("docker network ls", (docker, token) =>
            docker.Networks.ListNetworksAsync(new NetworksListParameters { Filters = Filters.Of("name", [name]) }, token), ct).ConfigureAwait(false))
        .Select(NetworkInspect.From).ToArray();

    public Task RemoveAsync(string idOrName, CancellationToken ct = default) =>
        engine.CallAsync($"docker network rm {idOrName}", (docker, token) => docker.Networks.DeleteNetworkAsync(idOrName, token), ct);
}
