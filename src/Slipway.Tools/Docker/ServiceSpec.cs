using System.Globalization;

namespace Slipway.Tools.Docker;

/// <summary>A swarm service as the deploy describes it; <see cref="ToBody"/> is the engine's ServiceSpec.</summary>
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

    internal object ToBody() => new Dictionary<string, object?>
    {
        ["Name"] = Name,
        ["Labels"] = Labels,
        ["TaskTemplate"] = new Dictionary<string, object?>
        {
            ["ContainerSpec"] = new Dictionary<string, object?>
            {
                ["Image"] = Image,
                ["Labels"] = ContainerLabels,
                ["Command"] = Command,
                ["Args"] = Args,
                ["Env"] = Env.Select(e => $"{e.Key}={e.Value}").ToArray(),
                ["User"] = User,
                ["ReadOnly"] = ReadOnlyRootfs,
                ["CapabilityDrop"] = CapDrop.Count == 0 ? null : CapDrop,
                ["StopSignal"] = StopSignal,
                ["StopGracePeriod"] = StopGracePeriod is { } grace ? Nanoseconds(grace) : null,
                ["Healthcheck"] = Healthcheck?.ToBody(),
                ["Mounts"] = Mounts.Select(m => m.ToBody()).ToArray(),
                ["Configs"] = Configs.Select(c => c.ToBody()).ToArray(),
            },
            ["Resources"] = Limits is null ? null : new { Limits = new { NanoCPUs = Limits.NanoCpus, MemoryBytes = Limits.MemoryBytes } },
            ["RestartPolicy"] = Restart?.ToBody(),
            ["Placement"] = MaxReplicasPerNode is { } max ? new { MaxReplicas = max } : null,
            ["Networks"] = Networks.Select(n => new { Target = n.Name, Aliases = n.Aliases }).ToArray(),
        },
        ["Mode"] = new { Replicated = new { Replicas = Replicas } },
        ["UpdateConfig"] = Update?.ToBody(),
        ["RollbackConfig"] = Rollback?.ToBody(),
        ["EndpointSpec"] = new Dictionary<string, object?>
        {
            ["Mode"] = EndpointMode,
            ["Ports"] = Ports.Select(p => new { Protocol = p.Protocol, TargetPort = p.Target, PublishedPort = p.Published, PublishMode = p.Mode }).ToArray(),
        },
    };

    internal static long Nanoseconds(TimeSpan value) => value.Ticks * 100;
}

/// <param name="Type">"volume", "bind" or "tmpfs".</param>
/// <param name="Source">The volume name or host path; empty for tmpfs.</param>
public sealed record ServiceMount(string Type, string Source, string Target, bool ReadOnly = false)
{
    internal object ToBody() => new Dictionary<string, object?>
    {
        ["Type"] = Type,
        ["Source"] = Type == "tmpfs" ? null : Source,
        ["Target"] = Target,
        ["ReadOnly"] = ReadOnly,
    };
}

/// <summary>A swarm config mounted as a file in every task.</summary>
public sealed record ServiceConfigFile(string ConfigId, string ConfigName, string Target)
{
    internal object ToBody() => new
    {
        ConfigID = ConfigId,
        ConfigName = ConfigName,
        File = new { Name = Target, UID = "0", GID = "0", Mode = 0b100_100_100 },
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
    internal object ToBody() => new
    {
        Parallelism,
        Delay = ServiceSpec.Nanoseconds(Delay),
        FailureAction,
        Monitor = ServiceSpec.Nanoseconds(Monitor),
        MaxFailureRatio,
        Order,
    };
}

/// <param name="Condition">"none", "on-failure" or "any".</param>
public sealed record ServiceRestartPolicy(string Condition, TimeSpan Delay, int? MaxAttempts, TimeSpan? Window)
{
    internal object ToBody() => new Dictionary<string, object?>
    {
        ["Condition"] = Condition,
        ["Delay"] = ServiceSpec.Nanoseconds(Delay),
        ["MaxAttempts"] = MaxAttempts,
        ["Window"] = Window is { } window ? ServiceSpec.Nanoseconds(window) : null,
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
