using System.Globalization;
using System.Text.RegularExpressions;
using Slipway.Tools.Docker;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// The stack as the compose files describe it (the single source of truth): services, networks,
/// volumes. Later files override earlier ones; ${VARIABLES} are interpolated as compose does.
/// Only what a single-host deploy uses is read; build sections are ignored (images come from the registry).
/// </summary>
public sealed record ComposeStack(
    IReadOnlyDictionary<string, ComposeService> Services,
    IReadOnlyDictionary<string, ComposeNetwork> Networks,
    IReadOnlyList<string> Volumes)
{
    /// <summary>Swarm configs (top-level "configs" with "file"): name → absolute path of the file.</summary>
    public IReadOnlyDictionary<string, string> Configs { get; init; } = new Dictionary<string, string>();

    public ComposeService Service(string name) =>
        Services.TryGetValue(name, out var service)
            ? service
            : throw new ComposeException($"the compose files define no service '{name}' (they define {string.Join(", ", Services.Keys)})");

    /// <summary>Services in start order: each after the ones it depends on.</summary>
    public IReadOnlyList<ComposeService> StartOrder()
    {
        var ordered = new List<ComposeService>();
        var visiting = new HashSet<string>(StringComparer.Ordinal);
        void Visit(ComposeService service)
        {
            if (ordered.Contains(service))
                return;
            if (!visiting.Add(service.Name))
                throw new ComposeException($"the compose services depend on each other in a cycle through '{service.Name}'");
            foreach (var dependency in service.DependsOn.Where(Services.ContainsKey))
                Visit(Services[dependency]);
            ordered.Add(service);
        }

        foreach (var service in Services.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
            Visit(service);
        return ordered;
    }

    /// <param name="files">Absolute paths; relative bind mounts resolve against the first file's folder.</param>
    public static ComposeStack Load(IReadOnlyList<string> files, Func<string, string?> variable)
    {
        if (files.Count == 0)
            throw new ComposeException("no compose files given");
        var merged = new Dictionary<object, object>();
        foreach (var file in files)
        {
            if (!File.Exists(file))
                throw new ComposeException($"compose file {file} not found");
            var document = Parse(file);
            Merge(merged, (Dictionary<object, object>)Interpolate(document, variable, file));
        }

        var projectDirectory = Path.GetDirectoryName(Path.GetFullPath(files[0]))!;
        var source = string.Join(" + ", files.Select(Path.GetFileName));
        var services = Map(merged, "services", source)
            .ToDictionary(s => (string)s.Key, s => ComposeService.Read((string)s.Key, AsMap(s.Value, $"{source}: services.{s.Key}"), projectDirectory, source), StringComparer.Ordinal);
        var networks = Map(merged, "networks", source).ToDictionary(
            n => (string)n.Key,
            n => n.Value is Dictionary<object, object> m ? new ComposeNetwork((string)n.Key, Flag(m, "internal"), Text(m, "driver") ?? "bridge") : new ComposeNetwork((string)n.Key, false, "bridge"),
            StringComparer.Ordinal);
        var volumes = Map(merged, "volumes", source).Keys.Cast<string>().ToArray();
        var configs = Map(merged, "configs", source).ToDictionary(
            c => (string)c.Key,
            c => Text(AsMap(c.Value, $"{source}: configs.{c.Key}"), "file") is { } file
                ? Path.GetFullPath(file, projectDirectory)
                : throw new ComposeException($"{source}: configs.{c.Key} needs a file: (external or named configs are not supported)"),
            StringComparer.Ordinal);
        foreach (var service in services.Values)
        {
            var unknown = service.Networks.FirstOrDefault(n => !networks.ContainsKey(n) && n != "default");
            if (unknown is not null)
                throw new ComposeException($"{source}: service '{service.Name}' joins network '{unknown}', which is not declared under networks:");
            foreach (var (config, _) in service.Configs.Where(c => !configs.ContainsKey(c.Source)))
                throw new ComposeException($"{source}: service '{service.Name}' uses config '{config}', which is not declared under configs:");
        }

        return new ComposeStack(services, networks, volumes) { Configs = configs };
    }

    private static object Parse(string file)
    {
        try
        {
            using var reader = new StreamReader(file);
            // MergingParser resolves YAML merge keys (<<: *anchor), which the compose files use.
            return new DeserializerBuilder().Build().Deserialize<object>(new MergingParser(new Parser(reader)))
                   ?? throw new ComposeException($"compose file {file} is empty");
        }
        catch (YamlException e)
        {
            throw new ComposeException($"compose file {file} is not valid YAML: {e.Message}");
        }
    }

    private static object Interpolate(object node, Func<string, string?> variable, string file) => node switch
    {
        string text => ComposeInterpolation.Apply(text, variable, file),
        Dictionary<object, object> map => map.ToDictionary(e => e.Key, e => e.Value is null ? null! : Interpolate(e.Value, variable, file)),
        List<object> list => list.Select(item => Interpolate(item, variable, file)).ToList(),
        _ => node,
    };

    private static readonly HashSet<string> Concatenated = new(StringComparer.Ordinal) { "ports", "volumes", "tmpfs", "cap_drop", "security_opt", "configs" };

    private static void Merge(Dictionary<object, object> target, Dictionary<object, object> overlay)
    {
        foreach (var (key, value) in overlay)
        {
            if (value is Dictionary<object, object> map && target.GetValueOrDefault(key) is Dictionary<object, object> existing)
                Merge(existing, map);
            else if (value is List<object> list && target.GetValueOrDefault(key) is List<object> previous && Concatenated.Contains((string)key))
                target[key] = previous.Where(item => !(key is "ports" && list.Any(p => SamePublishedPort(p, item)))).Concat(list.Where(item => !previous.Contains(item))).ToList();
            else
                target[key] = value;
        }
    }

    /// <summary>As compose merges ports: a later file's port for the same published port replaces the earlier one.</summary>
    private static bool SamePublishedPort(object later, object earlier) =>
        PublishedPort(later) is { } port && port == PublishedPort(earlier);

    private static string? PublishedPort(object port) => port switch
    {
        Dictionary<object, object> map => Text(map, "published"),
        string text when text.Split('/')[0].Split(':') is { Length: >= 2 } parts => parts[^2],
        _ => null,
    };

    internal static Dictionary<object, object> Map(Dictionary<object, object> map, string key, string where) =>
        map.GetValueOrDefault(key) switch
        {
            null => [],
            Dictionary<object, object> m => m,
            _ => throw new ComposeException($"{where}: {key} must be a mapping"),
        };

    internal static Dictionary<object, object> AsMap(object? value, string where) =>
        value as Dictionary<object, object> ?? (value is null ? [] : throw new ComposeException($"{where} must be a mapping"));

    internal static string? Text(Dictionary<object, object> map, string key) => map.GetValueOrDefault(key)?.ToString();

    internal static bool Flag(Dictionary<object, object> map, string key) =>
        Text(map, key) is { } text && (text.Equals("true", StringComparison.OrdinalIgnoreCase) || text == "yes");
}

public sealed record ComposeNetwork(string Name, bool Internal, string Driver);

/// <summary>One service of the compose files, as the deploy creates its container.</summary>
public sealed partial record ComposeService
{
    public required string Name { get; init; }

    public required string Image { get; init; }

    public IReadOnlyList<string>? Command { get; init; }

    public IReadOnlyList<string>? Entrypoint { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public string? User { get; init; }

    public IReadOnlyList<PortBinding> Ports { get; init; } = [];

    /// <summary>Per entry of <see cref="Ports"/>: the swarm publish mode, "ingress" unless the long syntax says "host".</summary>
    public IReadOnlyList<string> PortModes { get; init; } = [];

    /// <summary>Named volumes: volume → mount path (with ":ro" when read-only).</summary>
    public IReadOnlyList<(string Volume, string Target)> NamedVolumes { get; init; } = [];

    /// <summary>Host folders as absolute paths: "host:container[:ro]".</summary>
    public IReadOnlyList<string> BindMounts { get; init; } = [];

    public IReadOnlyList<string> Tmpfs { get; init; } = [];

    public IReadOnlyList<string> Networks { get; init; } = [];

    public HealthcheckSpec? Healthcheck { get; init; }

    public string? Restart { get; init; }

    public bool ReadOnly { get; init; }

    public IReadOnlyList<string> CapDrop { get; init; } = [];

    public IReadOnlyList<string> SecurityOpt { get; init; } = [];

    public IReadOnlyList<string> DependsOn { get; init; } = [];

    public string? StopSignal { get; init; }

    public TimeSpan? StopGracePeriod { get; init; }

    /// <summary>Swarm configs mounted as files: the top-level config's name and the path in the container.</summary>
    public IReadOnlyList<(string Source, string Target)> Configs { get; init; } = [];

    /// <summary>The "deploy" section: what a swarm does with the service (ignored on a single host).</summary>
    public ComposeDeploy Deploy { get; init; } = new();

    internal static ComposeService Read(string name, Dictionary<object, object> map, string projectDirectory, string source)
    {
        var where = $"{source}: services.{name}";
        var volumes = Strings(map, "volumes", where);
        var named = new List<(string, string)>();
        var binds = new List<string>();
        foreach (var volume in volumes)
        {
            var parts = volume.Split(':');
            if (parts.Length < 2)
                continue; // an anonymous volume: the engine makes one
            var mode = parts.Length > 2 ? ":" + parts[2] : "";
            if (parts[0].StartsWith('.') || parts[0].StartsWith('/') || parts[0].StartsWith('~'))
                binds.Add($"{Path.GetFullPath(parts[0], projectDirectory)}:{parts[1]}{mode}");
            else
                named.Add((parts[0], parts[1] + mode));
        }

        return new ComposeService
        {
            Name = name,
            Image = ComposeStack.Text(map, "image") ?? throw new ComposeException($"{where} has no image"),
            Command = CommandLine(map.GetValueOrDefault("command"), $"{where}.command"),
            Entrypoint = CommandLine(map.GetValueOrDefault("entrypoint"), $"{where}.entrypoint"),
            Environment = ReadEnvironment(map.GetValueOrDefault("environment"), $"{where}.environment"),
            User = ComposeStack.Text(map, "user"),
            Ports = Strings(map, "ports", where).Select(p => Port(p, where)).ToArray(),
            PortModes = (map.GetValueOrDefault("ports") as List<object> ?? []).Select(p => p is Dictionary<object, object> port ? ComposeStack.Text(port, "mode") ?? "ingress" : "ingress").ToArray(),
            NamedVolumes = named,
            BindMounts = binds,
            Tmpfs = map.GetValueOrDefault("tmpfs") is string single ? [single] : Strings(map, "tmpfs", where),
            Networks = map.GetValueOrDefault("networks") is Dictionary<object, object> networkMap
                ? networkMap.Keys.Cast<string>().ToArray()
                : Strings(map, "networks", where) is { Count: > 0 } list ? list : ["default"],
            Healthcheck = Health(ComposeStack.AsMap(map.GetValueOrDefault("healthcheck"), $"{where}.healthcheck"), $"{where}.healthcheck"),
            Restart = ComposeStack.Text(map, "restart"),
            ReadOnly = ComposeStack.Flag(map, "read_only"),
            CapDrop = Strings(map, "cap_drop", where),
            SecurityOpt = Strings(map, "security_opt", where),
            DependsOn = map.GetValueOrDefault("depends_on") is Dictionary<object, object> dependsMap ? dependsMap.Keys.Cast<string>().ToArray() : Strings(map, "depends_on", where),
            StopSignal = ComposeStack.Text(map, "stop_signal"),
            StopGracePeriod = ComposeStack.Text(map, "stop_grace_period") is { } grace ? Duration(grace, $"{where}.stop_grace_period") : null,
            Configs = (map.GetValueOrDefault("configs") as List<object> ?? []).Select(c => c is Dictionary<object, object> config
                ? (ComposeStack.Text(config, "source") ?? throw new ComposeException($"{where}.configs: an entry has no source"), ComposeStack.Text(config, "target") ?? "/" + ComposeStack.Text(config, "source"))
                : (c.ToString()!, "/" + c)).ToArray(),
            Deploy = ComposeDeploy.Read(ComposeStack.AsMap(map.GetValueOrDefault("deploy"), $"{where}.deploy"), $"{where}.deploy"),
        };
    }

    private static List<string> Strings(Dictionary<object, object> map, string key, string where) =>
        map.GetValueOrDefault(key) switch
        {
            null => [],
            List<object> list => list.Select(item => item is Dictionary<object, object> ? LongSyntax(key, (Dictionary<object, object>)item, where) : item.ToString()!).ToList(),
            _ => throw new ComposeException($"{where}.{key} must be a list"),
        };

    /// <summary>The long port syntax (target/published/host_ip) as the short one.</summary>
    private static string LongSyntax(string key, Dictionary<object, object> item, string where) =>
        key == "ports"
            ? $"{ComposeStack.Text(item, "host_ip") ?? "0.0.0.0"}:{ComposeStack.Text(item, "published")}:{ComposeStack.Text(item, "target")}"
            : throw new ComposeException($"{where}.{key}: the long syntax is not supported here; use the short one");

    private static PortBinding Port(string text, string where)
    {
        var parts = text.Split('/')[0].Split(':');
        int Number(string value) => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 65535
            ? n
            : throw new ComposeException($"{where}.ports: '{text}' is not host_ip:host_port:container_port");
        return parts.Length switch
        {
            1 => new PortBinding(Number(parts[0]), 0, "0.0.0.0"),
            2 => new PortBinding(Number(parts[1]), Number(parts[0]), "0.0.0.0"),
            3 => new PortBinding(Number(parts[2]), Number(parts[1]), parts[0]),
            _ => throw new ComposeException($"{where}.ports: '{text}' is not host_ip:host_port:container_port"),
        };
    }

    private static IReadOnlyList<string>? CommandLine(object? value, string where) => value switch
    {
        null => null,
        string text => ["/bin/sh", "-c", text],
        List<object> list => list.Select(i => i.ToString()!).ToArray(),
        _ => throw new ComposeException($"{where} must be a string or a list"),
    };

    private static IReadOnlyDictionary<string, string> ReadEnvironment(object? value, string where)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (value)
        {
            case null:
                break;
            case Dictionary<object, object> map:
                foreach (var (k, v) in map)
                    result[(string)k] = v?.ToString() ?? "";
                break;
            case List<object> list:
                foreach (var item in list.Select(i => i.ToString()!))
                {
                    var eq = item.IndexOf('=', StringComparison.Ordinal);
                    if (eq > 0)
                        result[item[..eq]] = item[(eq + 1)..];
                }

                break;
            default:
                throw new ComposeException($"{where} must be a mapping or a list");
        }

        return result;
    }

    private static HealthcheckSpec? Health(Dictionary<object, object> map, string where)
    {
        if (map.Count == 0)
            return null;
        if (ComposeStack.Flag(map, "disable"))
            return new HealthcheckSpec(["NONE"], TimeSpan.Zero, TimeSpan.Zero, 0, TimeSpan.Zero);
        IReadOnlyList<string> test = map.GetValueOrDefault("test") switch
        {
            string text => ["CMD-SHELL", text],
            List<object> list => list.Select(i => i.ToString()!).ToArray(),
            _ => throw new ComposeException($"{where}.test must be a string or a list"),
        };
        return new HealthcheckSpec(
            test,
            Duration(ComposeStack.Text(map, "interval") ?? "30s", $"{where}.interval"),
            Duration(ComposeStack.Text(map, "timeout") ?? "30s", $"{where}.timeout"),
            int.TryParse(ComposeStack.Text(map, "retries") ?? "3", CultureInfo.InvariantCulture, out var retries) ? retries : throw new ComposeException($"{where}.retries must be a number"),
            Duration(ComposeStack.Text(map, "start_period") ?? "0s", $"{where}.start_period"));
    }

    /// <summary>Compose durations: "1m30s", "10s", "500ms", "1h".</summary>
    internal static TimeSpan Duration(string text, string where)
    {
        var matches = DurationPart().Matches(text);
        if (matches.Count == 0 || string.Concat(matches.Select(m => m.Value)) != text)
            throw new ComposeException($"{where}: '{text}' is not a duration such as 10s, 500ms or 1m30s");
        return matches.Aggregate(TimeSpan.Zero, (total, m) =>
        {
            var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            return total + m.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(value),
                "m" => TimeSpan.FromMinutes(value),
                "s" => TimeSpan.FromSeconds(value),
                "ms" => TimeSpan.FromMilliseconds(value),
                "us" => TimeSpan.FromMicroseconds(value),
                _ => TimeSpan.FromTicks((long)(value / 100)),
            };
        });
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)")]
    private static partial Regex DurationPart();
}
