namespace Slipway.Tools.Docker;

public sealed class VolumeOperations
{
    private readonly DockerTransport transport;

    internal VolumeOperations(DockerTransport transport) => this.transport = transport;

    public Task<VolumeInspect> CreateAsync(VolumeCreateParameters parameters, CancellationToken ct = default) =>
        transport.PostJsonAsync<VolumeInspect>("volumes/create", new { parameters.Name, parameters.Driver, parameters.Labels }, ct: ct);

    public Task<VolumeInspect> InspectAsync(string name, CancellationToken ct = default) =>
        transport.GetJsonAsync<VolumeInspect>($"volumes/{name}", ct: ct);

    public Task RemoveAsync(string name, bool force = false, CancellationToken ct = default) =>
        transport.SendAndForgetAsync(HttpMethod.Delete, $"volumes/{name}", new Query().Add("force", force), ct: ct);
}
