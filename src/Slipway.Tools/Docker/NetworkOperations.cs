namespace Slipway.Tools.Docker;

public sealed partial class NetworkOperations
{
    private readonly DockerTransport transport;

    internal NetworkOperations(DockerTransport transport) => this.transport = transport;

    /// <summary>Creates a network; returns its id. A name already taken is an error, not a second network.</summary>
    public async Task<string> CreateAsync(NetworkCreateParameters parameters, CancellationToken ct = default)
    {
        var body = new { parameters.Name, parameters.Driver, parameters.Internal, parameters.Attachable, parameters.Labels, CheckDuplicate = true };
        return (await transport.PostJsonAsync<Created>("networks/create", body, ct: ct).ConfigureAwait(false)).Id;
    }

    public Task<NetworkInspect> InspectAsync(string idOrName, CancellationToken ct = default) =>
        transport.GetJsonAsync<NetworkInspect>($"networks/{idOrName}", ct: ct);

    public Task RemoveAsync(string idOrName, CancellationToken ct = default) =>
        transport.SendAndForgetAsync(HttpMethod.Delete, $"networks/{idOrName}", ct: ct);

    private sealed record Created(string Id);
}
