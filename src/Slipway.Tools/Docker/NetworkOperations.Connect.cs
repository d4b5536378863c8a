using Docker.DotNet.Models;
using Models = Docker.DotNet.Models;

namespace Slipway.Tools.Docker;

public sealed partial class NetworkOperations
{
    /// <summary>Attaches a container to a network, reachable there by its name and <paramref name="aliases"/>.</summary>
    public Task ConnectAsync(string network, string container, IReadOnlyList<string>? aliases = null, CancellationToken ct = default) =>
        engine.CallAsync($"docker network connect {network} {container}", (docker, token) => docker.Networks.ConnectNetworkAsync(network, new NetworkConnectParameters
        {
            Container = container,
            EndpointConfig = new Models.EndpointSettings { Aliases = [.. aliases ?? []] },
        }, token), ct);

    /// <summary>The network, or null when the engine has none by that name.</summary>
    public Task<NetworkInspect?> TryInspectAsync(string idOrName, CancellationToken ct = default) =>
        InspectAsync(idOrName, ct).OrNullWhenNotFoundAsync();
}
