using System.Globalization;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// A service's compose "deploy" section, with Docker's defaults where it is silent: replicas, endpoint
/// mode, rolling update and rollback settings, restart policy, resource limits, placement.
/// </summary>
public sealed record ComposeDeploy
{
    public int Replicas { get; init; } = 1;

    /// <summary>"vip" or "dnsrr".</summary>
    public string EndpointMode { get; init; } = "vip";

    public RollingUpdate Update { get; init; } = DefaultRollingUpdate;

    public RollingUpdate Rollback { get; init; } = DefaultRollingUpdate;

    public ServiceRestartPolicy? Restart { get; init; }

    public ServiceLimits? Limits { get; init; }

    public int? MaxReplicasPerNode { get; init; }

    /// <summary>Docker's defaults: one task at a time, stop-first, pause on failure, watched for 5 s.</summary>
    public static readonly RollingUpdate DefaultRollingUpdate = new(1, TimeSpan.Zero, "pause", TimeSpan.FromSeconds(5), 0, "stop-first");

    internal static ComposeDeploy Read(Dictionary<object, object> map, string where)
    {
        var resources = ComposeStack.AsMap(map.GetValueOrDefault("resources"), $"{where}.resources");
        var limits = ComposeStack.AsMap(resources.GetValueOrDefault("limits"), $"{where}.resources.limits");
        var restart = ComposeStack.AsMap(map.GetValueOrDefault("restart_policy"), $"{where}.restart_policy");
        var placement = ComposeStack.AsMap(map.GetValueOrDefault("placement"), $"{where}.placement");
        return new ComposeDeploy
        {
            Replicas = Number(map, "replicas", where) ?? 1,
            EndpointMode = OneOf(map, "endpoint_mode", where, "vip", "dnsrr") ?? "vip",
            Update = Rolling(ComposeStack.AsMap(map.GetValueOrDefault("update_config"), $"{where}.update_config"), $"{where}.update_config"),
            Rollback = Rolling(ComposeStack.AsMap(map.GetValueOrDefault("rollback_config"), $"{where}.rollback_config"), $"{where}.rollback_config"),
            Restart = restart.Count == 0 ? null : new ServiceRestartPolicy(
                OneOf(restart, "condition", $"{where}.restart_policy", "none", "on-failure", "any") ?? "any",
                Duration(restart, "delay", where) ?? TimeSpan.FromSeconds(5),
                Number(restart, "max_attempts", where),
                Duration(restart, "window", where)),
            Limits = limits.Count == 0 ? null : ParseLimits(limits, $"{where}.resources.limits"),
            MaxReplicasPerNode = Number(placement, "max_replicas_per_node", where),
        };
    }

    private static RollingUpdate Rolling(Dictionary<object, object> map, string where) =>
        map.Count == 0
            ? DefaultRollingUpdate
            : new RollingUpdate(
                Number(map, "parallelism", where) ?? 1,
                Duration(map, "delay", where) ?? TimeSpan.Zero,
                OneOf(map, "failure_action", where, "pause", "continue", "rollback") ?? "pause",
                Duration(map, "monitor", where) ?? TimeSpan.FromSeconds(5),
                ComposeStack.Text(map, "max_failure_ratio") is { } ratio
                    ? double.TryParse(ratio, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) ? r : throw new ComposeException($"{where}.max_failure_ratio: '{ratio}' is not a number")
                    : 0,
                OneOf(map, "order", where, "stop-first", "start-first") ?? "stop-first");

    private static ServiceLimits ParseLimits(Dictionary<object, object> map, string where)
    {
        try
        {
            return ServiceLimits.Parse(ComposeStack.Text(map, "cpus"), ComposeStack.Text(map, "memory"));
        }
        catch (FormatException)
        {
            throw new ComposeException($"{where}: cpus must be a number such as 0.50 and memory a size such as 128M");
        }
    }

    private static int? Number(Dictionary<object, object> map, string key, string where) =>
        ComposeStack.Text(map, key) is not { } text ? null
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
        : throw new ComposeException($"{where}.{key}: '{text}' is not a whole number");

    private static TimeSpan? Duration(Dictionary<object, object> map, string key, string where) =>
        ComposeStack.Text(map, key) is { } text ? ComposeService.Duration(text, $"{where}.{key}") : null;

    private static string? OneOf(Dictionary<object, object> map, string key, string where, params string[] allowed) =>
        ComposeStack.Text(map, key) is not { } text ? null
        : allowed.Contains(text, StringComparer.Ordinal) ? text
        : throw new ComposeException($"{where}.{key}: '{text}' is not one of {string.Join(", ", allowed)}");
}
