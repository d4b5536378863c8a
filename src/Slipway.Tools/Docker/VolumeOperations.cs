using Docker.DotNet.Models;

namespace Slipway.Tools.Docker;

public sealed class VolumeOperations
{
    private readonly EngineConnection engine;

    internal VolumeOperations(EngineConnection engine) => this.engine = engine;

    public async Task<VolumeInspect> CreateAsync(VolumeCreateParameters parameters, CancellationToken ct = default) =>
        VolumeInspect.From(await engine.CallAsync($"docker volume create {parameters.Name}", (docker, token) => docker.Volumes.CreateAsync(new VolumesCreateParameters
        {
            Name = parameters.Name,
            Driver = parameters.Driver,
            Labels = parameters.Labels.ToDictionary(),
        }, token), ct).ConfigureAwait(false));

    public async Task<VolumeInspect> InspectAsync(string name, CancellationToken ct = default) =>
        VolumeInspect.From(await engine.CallAsync($"docker volume inspect {name}", (docker, token) => docker.Volumes.InspectAsync(name, token), ct).ConfigureAwait(false));

    /// <summary>The volumes whose name contains <paramref name="name"/> (the engine's name filter).</summary>
    public async Task<IReadOnlyList<VolumeInspect>> ListAsync(string name, CancellationToken ct = default)
    {
        var response = await engine.CallAsync("docker volume ls", (docker, token) =>
            docker.Volumes.ListAsync(new VolumesListParameters { Filters = Filters.Of("name", [name]) }, token), ct).ConfigureAwait(false);
        return response.Volumes?.Select(VolumeInspect.From).ToArray() ?? [];
    }

    public Task RemoveAsync(string name, bool force = false, CancellationToken ct = default) =>
        engine.CallAsync($"docker volume rm {name}", (docker, token) => docker.Volumes.RemoveAsync(name, force, token), ct);
}
