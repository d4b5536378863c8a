using System.Security.Cryptography;
using System.Text.Json;
using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// Turns compose services into swarm service specs named and labelled as <c>docker stack deploy</c>
/// names them (&lt;stack&gt;_&lt;service&gt;, com.docker.stack.namespace), so <c>docker stack ps</c> shows them,
/// plus a hash of the spec so an unchanged service is not touched.
/// </summary>
internal static class SwarmServices
{
    public const string NamespaceLabel = "com.docker.stack.namespace";

    /// <summary>The config's name on the swarm: configs cannot change, so a new content gets a new name.</summary>
    public static string ConfigName(StackNames names, string config, byte[] content) =>
        $"{names.Stack}_{config}-{Convert.ToHexStringLower(SHA256.HashData(content))[..12]}";

    /// <param name="serviceLabels">More labels of the service (not its tasks), part of what the spec hash covers.</param>
    public static ServiceSpec Spec(ComposeService service, StackNames names, IReadOnlyDictionary<string, SwarmConfig> configs, string? version, IReadOnlyDictionary<string, string>? serviceLabels = null)
    {
        var labels = Labels(service, names);
        var ownLabels = new Dictionary<string, string>(labels);
        foreach (var (name, value) in serviceLabels ?? new Dictionary<string, string>())
            ownLabels[name] = value;
        if (version is not null)
            ownLabels[StackContainers.VersionLabel] = version;
        var spec = new ServiceSpec
        {
            Name = names.SwarmService(service.Name),
            Image = service.Image,
            Labels = ownLabels,
            ContainerLabels = labels,
            Command = service.Entrypoint,
            Args = service.Command,
            Env = service.Environment,
            User = service.User,
            Healthcheck = service.Healthcheck,
            ReadOnlyRootfs = service.ReadOnly,
            CapDrop = service.CapDrop,
            StopSignal = service.StopSignal,
            StopGracePeriod = service.StopGracePeriod,
            Mounts =
            [
                .. service.NamedVolumes.Select(v => new ServiceMount("volume", names.Volume(v.Volume), Path(v.Target), IsReadOnly(v.Target))),
                .. service.BindMounts.Select(Bind),
                .. service.Tmpfs.Select(t => new ServiceMount("tmpfs", "", t.Split(':')[0])),
            ],
            Configs = service.Configs.Select(c => new ServiceConfigFile(configs[c.Source].Id, configs[c.Source].Name, c.Target)).ToArray(),
            Networks = service.Networks.Select(n => new NetworkAttachment(names.Network(n), [service.Name])).ToArray(),
            Replicas = service.Deploy.Replicas,
            EndpointMode = service.Deploy.EndpointMode,
            Ports = service.Ports.Select((p, i) => new ServicePort(p.ContainerPort, p.HostPort, p.Protocol, service.PortModes.ElementAtOrDefault(i) ?? "ingress")).ToArray(),
            Update = service.Deploy.Update,
            Rollback = service.Deploy.Rollback,
            Restart = service.Deploy.Restart ?? RestartFrom(service.Restart),
            Limits = service.Deploy.Limits,
            MaxReplicasPerNode = service.Deploy.MaxReplicasPerNode,
        };
        var hash = Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(spec)))[..16];
        return spec with { Labels = new Dictionary<string, string>(spec.Labels) { [StackContainers.SpecLabel] = hash } };
    }

    /// <summary>Every network the services join, "default" included when one of them uses it.</summary>
    public static IEnumerable<ComposeNetwork> Networks(ComposeStack stack) =>
        stack.Services.Values.Any(s => s.Networks.Contains("default")) && !stack.Networks.ContainsKey("default")
            ? stack.Networks.Values.Append(new ComposeNetwork("default", false, "overlay"))
            : stack.Networks.Values;

    public static Dictionary<string, string> Labels(StackNames names) => new()
    {
        [NamespaceLabel] = names.Stack,
        [StackContainers.StackLabel] = names.Stack,
    };

    private static Dictionary<string, string> Labels(ComposeService service, StackNames names) =>
        new(Labels(names)) { [StackContainers.ServiceLabel] = service.Name };

    /// <summary>"host:container[:ro]" as a bind mount.</summary>
    private static ServiceMount Bind(string bind)
    {
        var parts = bind.Split(':');
        return new ServiceMount("bind", parts[0], parts[1], parts.Length > 2 && parts[2] == "ro");
    }

    private static string Path(string target) => target.Split(':')[0];

    private static bool IsReadOnly(string target) => target.EndsWith(":ro", StringComparison.Ordinal);

    /// <summary>Compose's container restart policy, as a swarm restart condition.</summary>
    private static ServiceRestartPolicy? RestartFrom(string? restart) => restart switch
    {
        null => null,
        "no" => new ServiceRestartPolicy("none", TimeSpan.FromSeconds(5), null, null),
        "on-failure" => new ServiceRestartPolicy("on-failure", TimeSpan.FromSeconds(5), null, null),
        _ => new ServiceRestartPolicy("any", TimeSpan.FromSeconds(5), null, null),
    };
}

/// <summary>A config created on the swarm for one of the compose file's configs.</summary>
internal sealed record SwarmConfig(string Id, string Name);
