using Docker.DotNet.Models;

namespace Slipway.Tools.Docker;

public sealed partial class NetworkOperations
{
    private readonly EngineConnection engine;

    internal NetworkOperations(EngineConnection engine) => this.engine = engine;

    /// <summary>Creates a network; returns its id. A name already taken is an error (the engine's 409), not a second network.</summary>
    public async Task<string> CreateAsync(NetworkCreateParameters parameters, CancellationToken ct = default) =>
        (await engine.CallAsync($"docker network create {parameters.Name}", (docker, token) => docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
        {
            Name = parameters.Name,
            Driver = parameters.Driver,
            Internal = parameters.Internal,
            Attachable = parameters.Attachable,
            Labels = parameters.Labels.ToDictionary(),
        }, token), ct).ConfigureAwait(false)).ID;

    public async Task<NetworkInspect> InspectAsync(string idOrName, CancellationToken ct = default) =>
        NetworkInspect.From(await engine.CallAsync($"docker network inspect {idOrName}", (docker, token) => docker.Networks.InspectNetworkAsync(idOrName, token), ct).ConfigureAwait(false));

    public Task RemoveAsync(string idOrName, CancellationToken ct = default) =>
        engine.CallAsync($"docker network rm {idOrName}", (docker, token) => docker.Networks.DeleteNetworkAsync(idOrName, token), ct);
}
