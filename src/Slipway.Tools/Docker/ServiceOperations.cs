using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Tools.Docker;

/// <summary>Swarm services and their tasks (docker service create / update / rollback / ps / rm).</summary>
public sealed class ServiceOperations
{
    private readonly DockerTransport transport;

    internal ServiceOperations(DockerTransport transport) => this.transport = transport;

    /// <summary>Creates a service; <paramref name="auth"/> lets every node pull a private image. Returns its id.</summary>
    public async Task<string> CreateAsync(ServiceSpec spec, RegistryAuth? auth, CancellationToken ct = default)
    {
        using var response = await transport.SendAsync(HttpMethod.Post, "services/create", content: DockerTransport.JsonBody(spec.ToBody()),
            headers: AuthHeader(auth), ct: ct).ConfigureAwait(false);
        return (await JsonSerializer.DeserializeAsync<Created>(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), DockerTransport.Json, ct).ConfigureAwait(false))!.ID;
    }

    /// <summary>Replaces the service's spec; the swarm then rolls its tasks as the spec's update settings say.</summary>
    /// <param name="version">The <see cref="ServiceInspect.Version"/> the change is based on (optimistic concurrency).</param>
    public Task UpdateAsync(string id, long version, ServiceSpec spec, RegistryAuth? auth, CancellationToken ct = default) =>
        SendUpdateAsync(id, version, spec.ToBody(), auth, rollback: false, ct);

    /// <summary>Replaces the service's spec with a changed copy of its current raw spec (e.g. only another image).</summary>
    public Task UpdateAsync(string id, long version, JsonObject rawSpec, RegistryAuth? auth, CancellationToken ct = default) =>
        SendUpdateAsync(id, version, rawSpec, auth, rollback: false, ct);

    /// <summary>Returns the service to its previous spec (docker service rollback), with its rollback settings.</summary>
    public async Task RollbackAsync(string id, CancellationToken ct = default)
    {
        var service = await InspectAsync(id, ct).ConfigureAwait(false);
        await SendUpdateAsync(id, service.Version.Index, service.Spec, null, rollback: true, ct).ConfigureAwait(false);
    }

    public Task<ServiceInspect> InspectAsync(string idOrName, CancellationToken ct = default) =>
        transport.GetJsonAsync<ServiceInspect>($"services/{idOrName}", ct: ct);

    /// <summary>The service, or null when there is none by that name or id.</summary>
    public Task<ServiceInspect?> TryInspectAsync(string idOrName, CancellationToken ct = default) =>
        InspectAsync(idOrName, ct).OrNullWhenNotFoundAsync();

    /// <summary>Services carrying every given label ("key" or "key=value").</summary>
    public Task<IReadOnlyList<ServiceInspect>> ListAsync(IReadOnlyList<string> labels, CancellationToken ct = default) =>
        transport.GetJsonAsync<IReadOnlyList<ServiceInspect>>("services",
            new Query().AddJson("filters", new Dictionary<string, IReadOnlyList<string>> { ["label"] = labels }), ct);

    public Task RemoveAsync(string idOrName, CancellationToken ct = default) =>
        transport.SendAndForgetAsync(HttpMethod.Delete, $"services/{idOrName}", ct: ct);

    /// <summary>The service's tasks, current and recent, newest first.</summary>
    public async Task<IReadOnlyList<ServiceTask>> TasksAsync(string service, CancellationToken ct = default)
    {
        var tasks = await transport.GetJsonAsync<IReadOnlyList<ServiceTask>>("tasks",
            new Query().AddJson("filters", new Dictionary<string, IReadOnlyList<string>> { ["service"] = [service] }), ct).ConfigureAwait(false);
        return tasks.OrderByDescending(t => t.CreatedAt).ToArray();
    }

    private async Task SendUpdateAsync(string id, long version, object body, RegistryAuth? auth, bool rollback, CancellationToken ct)
    {
        var query = new Query().Add("version", version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (rollback)
            query.Add("rollback", "previous");
        using var response = await transport.SendAsync(HttpMethod.Post, $"services/{id}/update", query, DockerTransport.JsonBody(body),
            headers: AuthHeader(auth), ct: ct).ConfigureAwait(false);
    }

    private static Dictionary<string, string>? AuthHeader(RegistryAuth? auth) =>
        auth is null ? null : new Dictionary<string, string> { ["X-Registry-Auth"] = auth.ToHeader() };

    private sealed record Created(string ID);
}

/// <summary>A service as the engine reports it; <see cref="Spec"/> is kept raw so it can be sent back changed.</summary>
public sealed record ServiceInspect(string ID, ObjectVersion Version, JsonObject Spec, ServiceUpdateStatus? UpdateStatus)
{
    public string Name => Spec["Name"]?.GetValue<string>() ?? ID;

    public IReadOnlyDictionary<string, string> Labels =>
        Spec["Labels"] is JsonObject labels ? labels.ToDictionary(l => l.Key, l => l.Value?.GetValue<string>() ?? "") : new Dictionary<string, string>();

    /// <summary>The image every task should run now.</summary>
    public string Image => Spec["TaskTemplate"]?["ContainerSpec"]?["Image"]?.GetValue<string>() ?? "";

    public long Replicas => Spec["Mode"]?["Replicated"]?["Replicas"]?.GetValue<long>() ?? 1;
}

public sealed record ObjectVersion(long Index);

/// <param name="State">"updating", "paused", "completed", "rollback_started", "rollback_paused" or "rollback_completed".</param>
public sealed record ServiceUpdateStatus(string? State, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, string? Message);

/// <summary>One task (one container's life) of a service.</summary>
public sealed record ServiceTask(string ID, int Slot, DateTimeOffset CreatedAt, string DesiredState, ServiceTaskStatus Status, ServiceTaskSpec Spec)
{
    public string Image => Spec.ContainerSpec.Image;
}

/// <param name="State">"new", "pending", "assigned", "accepted", "preparing", "starting", "running", "complete", "shutdown", "failed", "rejected", ...</param>
public sealed record ServiceTaskStatus(string State, string? Message, string? Err, DateTimeOffset Timestamp);

public sealed record ServiceTaskSpec(ServiceTaskContainer ContainerSpec);

public sealed record ServiceTaskContainer(string Image);
