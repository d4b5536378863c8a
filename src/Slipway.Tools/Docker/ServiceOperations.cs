using System.Text.Json;
using System.Text.Json.Nodes;
using Docker.DotNet.Models;
using Models = Docker.DotNet.Models;

namespace Slipway.Tools.Docker;

/// <summary>Swarm services and their tasks (docker service create / update / rollback / ps / rm).</summary>
public sealed class ServiceOperations
{
    private readonly EngineConnection engine;

    internal ServiceOperations(EngineConnection engine) => this.engine = engine;

    /// <summary>Creates a service; <paramref name="auth"/> lets every node pull a private image. Returns its id.</summary>
    public async Task<string> CreateAsync(ServiceSpec spec, RegistryAuth? auth, CancellationToken ct = default) =>
        (await engine.CallAsync($"docker service create {spec.Name}", (docker, token) => docker.Swarm.CreateServiceAsync(
            new ServiceCreateParameters { Service = spec.ToLibrary(), RegistryAuth = auth?.ToAuthConfig()! }, token), ct).ConfigureAwait(false)).ID ?? "";

    /// <summary>Replaces the service's spec; the swarm then rolls its tasks as the spec's update settings say.</summary>
    /// <param name="version">The <see cref="ServiceInspect.Version"/> the change is based on (optimistic concurrency).</param>
    public Task UpdateAsync(string id, long version, ServiceSpec spec, RegistryAuth? auth, CancellationToken ct = default) =>
        SendUpdateAsync(id, version, spec.ToLibrary(), auth, rollback: false, ct);

    /// <summary>Replaces the service's spec with a changed copy of its current raw spec (e.g. only another image).</summary>
    public Task UpdateAsync(string id, long version, JsonObject rawSpec, RegistryAuth? auth, CancellationToken ct = default) =>
        SendUpdateAsync(id, version, ServiceSpecJson.FromJson(rawSpec), auth, rollback: false, ct);

    /// <summary>Returns the service to its previous spec (docker service rollback), with its rollback settings.</summary>
    public async Task RollbackAsync(string id, CancellationToken ct = default)
    {
        var service = await InspectAsync(id, ct).ConfigureAwait(false);
        await SendUpdateAsync(id, service.Version.Index, ServiceSpecJson.FromJson(service.Spec), null, rollback: true, ct).ConfigureAwait(false);
    }

    public async Task<ServiceInspect> InspectAsync(string idOrName, CancellationToken ct = default) =>
        ServiceInspect.From(await engine.CallAsync($"docker service inspect {idOrName}", (docker, token) => docker.Swarm.InspectServiceAsync(idOrName, token), ct).ConfigureAwait(false));

    /// <summary>The service, or null when there is none by that name or id.</summary>
    public Task<ServiceInspect?> TryInspectAsync(string idOrName, CancellationToken ct = default) =>
        InspectAsync(idOrName, ct).OrNullWhenNotFoundAsync();

    /// <summary>Services carrying every given label ("key" or "key=value").</summary>
    public async Task<IReadOnlyList<ServiceInspect>> ListAsync(IReadOnlyList<string> labels, CancellationToken ct = default) =>
        (await engine.CallAsync("docker service ls", (docker, token) =>
            docker.Swarm.ListServicesAsync(new ServiceListParameters { Filters = Filters.Of("label", labels) }, token), ct).ConfigureAwait(false))
        .Select(ServiceInspect.From).ToArray();

    public Task RemoveAsync(string idOrName, CancellationToken ct = default) =>
        engine.CallAsync($"docker service rm {idOrName}", (docker, token) => docker.Swarm.RemoveServiceAsync(idOrName, token), ct);

    /// <summary>The service's tasks, current and recent, newest first.</summary>
    public async Task<IReadOnlyList<ServiceTask>> TasksAsync(string service, CancellationToken ct = default)
    {
        var tasks = await engine.CallAsync($"docker service ps {service}", (docker, token) =>
            docker.Tasks.ListAsync(new TasksListParameters { Filters = Filters.Of("service", [service]) }, token), ct).ConfigureAwait(false);
        return tasks.Select(ServiceTask.From).OrderByDescending(t => t.CreatedAt).ToArray();
    }

    private Task SendUpdateAsync(string id, long version, Models.ServiceSpec spec, RegistryAuth? auth, bool rollback, CancellationToken ct) =>
        engine.CallAsync($"docker service update {id}", (docker, token) => docker.Swarm.UpdateServiceAsync(id, new ServiceUpdateParameters
        {
            Service = spec,
            Version = version,
            // Null leaves them out of the request: a plain update, with the node's own registry credentials.
            Rollback = rollback ? "previous" : null!,
            RegistryAuth = auth?.ToAuthConfig()!,
        }, token), ct);
}

/// <summary>A service as the engine reports it; <see cref="Spec"/> is kept raw so it can be sent back changed.</summary>
public sealed record ServiceInspect(string ID, ObjectVersion Version, JsonObject Spec, ServiceUpdateStatus? UpdateStatus)
{
    internal static ServiceInspect From(SwarmService service) => new(
        service.ID,
        new ObjectVersion((long)(service.Version?.Index ?? 0)),
        ServiceSpecJson.ToJson(service.Spec ?? new Models.ServiceSpec()),
        service.UpdateStatus is { } status
            ? new ServiceUpdateStatus(status.State, Utc(status.StartedAt), Utc(status.CompletedAt), status.Message)
            : null);

    internal static DateTimeOffset? Utc(DateTime? value) => value is { } time ? new DateTimeOffset(time.ToUniversalTime()) : null;

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

    internal static ServiceTask From(TaskResponse task) => new(
        task.ID,
        (int)(task.Slot ?? 0),
        ServiceInspect.Utc(task.CreatedAt) ?? DateTimeOffset.MinValue,
        Wire(task.DesiredState),
        new ServiceTaskStatus(Wire(task.Status?.State), task.Status?.Message, task.Status?.Err, ServiceInspect.Utc(task.Status?.Timestamp) ?? DateTimeOffset.MinValue),
        new ServiceTaskSpec(new ServiceTaskContainer(task.Spec?.ContainerSpec?.Image ?? "")));

    // The enum's names are the engine's words, capitalised.
    private static string Wire(TaskState? state) => state?.ToString().ToLowerInvariant() ?? "";
}

/// <param name="State">"new", "pending", "assigned", "accepted", "preparing", "starting", "running", "complete", "shutdown", "failed", "rejected", ...</param>
public sealed record ServiceTaskStatus(string State, string? Message, string? Err, DateTimeOffset Timestamp);

public sealed record ServiceTaskSpec(ServiceTaskContainer ContainerSpec);

public sealed record ServiceTaskContainer(string Image);
