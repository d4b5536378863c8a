using System.Globalization;
using Docker.DotNet.Models;
using Models = Docker.DotNet.Models;

namespace Slipway.Tools.Docker;

/// <summary>A swarm service as the deploy describes it; <see cref="ToLibrary"/> is the engine's ServiceSpec.</summary>
public sealed record ServiceSpec
{
    public required string Name { get; init; }

    public required string Image { get; init; }

    /// <summary>Labels of the service itself (not of its containers).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Labels of every task's container.</summary>
    public IReadOnlyDictionary<string, string> ContainerLabels { get; init; } = new Dictionary<string, string>();

    /// <summary>Overrides the image's entrypoint (compose "entrypoint").</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>Overrides the image's command (compose "command").</summary>
    public IReadOnlyList<string>? Args { get; init; }

    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    public string? User { get; init; }

    public HealthcheckSpec? Healthcheck { get; init; }

    public bool ReadOnlyRootfs { get; init; }

    public IReadOnlyList<string> CapDrop { get; init; } = [];

    public string? StopSignal { get; init; }

    public TimeSpan? StopGracePeriod { get; init; }

    public IReadOnlyList<ServiceMount> Mounts { get; init; } = [];

    public IReadOnlyList<ServiceConfigFile> Configs { get; init; } = [];

    public IReadOnlyList<NetworkAttachment> Networks { get; init; } = [];

    public int Replicas { get; init; } = 1;

    /// <summary>"vip" (one virtual IP) or "dnsrr" (the service name resolves to its tasks).</summary>
    public string EndpointMode { get; init; } = "vip";

    public IReadOnlyList<ServicePort> Ports { get; init; } = [];

    public RollingUpdate? Update { get; init; }

    public RollingUpdate? Rollback { get; init; }

    public ServiceRestartPolicy? Restart { get; init; }

    public ServiceLimits? Limits { get; init; }

    public int? MaxReplicasPerNode { get; init; }

    internal Models.ServiceSpec ToLibrary() => new()
    {
        Name = Name,
        Labels = Labels.ToDictionary(),
        TaskTemplate = new TaskSpec
        {
            ContainerSpec = new Models.ContainerSpec
            {
                Image = Image,
                Labels = ContainerLabels.ToDictionary(),
                Command = Command?.ToList(),
                Args = Args?.ToList(),
                Env = [.. Env.Select(e => $"{e.Key}={e.Value}")],
                User = User,
                ReadOnly = ReadOnlyRootfs,
                CapabilityDrop = CapDrop.Count == 0 ? null : [.. CapDrop],
                StopSignal = StopSignal,
                StopGracePeriod = StopGracePeriod,
                Healthcheck = Healthcheck?.ToConfig(),
                Mounts = [.. Mounts.Select(m => m.ToLibrary())],
                Configs = [.. Configs.Select(c => c.ToLibrary())],
            },
            Resources = Limits is null ? null : new ResourceRequirements { Limits = new SwarmLimit { NanoCPUs = Limits.NanoCpus, MemoryBytes = Limits.MemoryBytes } },
            RestartPolicy = Restart?.ToLibrary(),
            Placement = MaxReplicasPerNode is { } max ? new Placement { MaxReplicas = (ulong)max } : null,
            Networks = [.. Networks.Select(n => new NetworkAttachmentConfig { Target = n.Name, Aliases = [.. n.Aliases] })],
        },
        Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = (ulong)Replicas } },
        UpdateConfig = Update?.ToLibrary(),
        RollbackConfig = Rollback?.ToLibrary(),
        EndpointSpec = new EndpointSpec
        {
            Mode = EndpointMode,
            Ports = [.. Ports.Select(p => new PortConfig { Protocol = p.Protocol, TargetPort = (uint)p.Target, PublishedPort = (uint)p.Published, PublishMode = p.Mode })],
        },
    };
}

/// <param name="Type">"volume", "bind" or "tmpfs".</param>
/// <param name="Source">The volume name or host path; empty for tmpfs.</param>
public sealed record ServiceMount(string Type, string Source, string Target, bool ReadOnly = false)
{
    internal Mount ToLibrary() => new() { Type = Type, Source = Type == "tmpfs" ? null : Source, Target = Target, ReadOnly = ReadOnly };
}

/// <summary>A swarm config mounted as a file in every task.</summary>
public sealed record ServiceConfigFile(string ConfigId, string ConfigName, string Target)
{
    internal SwarmConfigReference ToLibrary() => new()
    {
        ConfigID = ConfigId,
        ConfigName = ConfigName,
        File = new ConfigReferenceFileTarget { Name = Target, UID = "0", GID = "0", Mode = 0b100_100_100 },
    };
}

/// <param name="Mode">"ingress" (the routing mesh) or "host" (the node's own port, one task per node).</param>
public sealed record ServicePort(int Target, int Published, string Protocol = "tcp", string Mode = "ingress");

/// <summary>How tasks are replaced in an update or a rollback.</summary>
/// <param name="FailureAction">"pause", "continue" or "rollback".</param>
/// <param name="Order">"stop-first" or "start-first".</param>
/// <param name="Monitor">How long a new task is watched for failure after it starts.</param>
public sealed record RollingUpdate(int Parallelism, TimeSpan Delay, string FailureAction, TimeSpan Monitor, double MaxFailureRatio, string Order)
{
    internal SwarmUpdateConfig ToLibrary() => new()
    {
        Parallelism = (ulong)Parallelism,
        Delay = Delay,
        FailureAction = FailureAction,
        Monitor = Monitor,
        MaxFailureRatio = (float)MaxFailureRatio,
        Order = Order,
    };
}

/// <param name="Condition">"none", "on-failure" or "any".</param>
public sealed record ServiceRestartPolicy(string Condition, TimeSpan Delay, int? MaxAttempts, TimeSpan? Window)
{
    internal SwarmRestartPolicy ToLibrary() => new()
    {
        Condition = Condition,
        Delay = Delay,
        MaxAttempts = MaxAttempts is { } attempts ? (ulong)attempts : null,
        Window = Window,
    };
}

public sealed record ServiceLimits(long NanoCpus, long MemoryBytes)
{
    /// <summary>Compose's "0.50" CPUs and "128M" memory.</summary>
    public static ServiceLimits Parse(string? cpus, string? memory) => new(
        cpus is null ? 0 : (long)(double.Parse(cpus, CultureInfo.InvariantCulture) * 1e9),
        memory is null ? 0 : Bytes(memory));

    private static long Bytes(string text)
    {
        var trimmed = text.TrimEnd('b', 'B');
        var multiplier = char.ToLowerInvariant(trimmed[^1]) switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, _ => 1L };
        var number = char.IsLetter(trimmed[^1]) ? trimmed[..^1] : trimmed;
        return (long)(double.Parse(number, CultureInfo.InvariantCulture) * multiplier);
    }
}
