using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Slipway.Delivery.Deployment.SmokeTests;
using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// Turns compose services into containers on one engine: networks and volumes first, then each
/// service's container, labelled with a hash of its specification so an unchanged service is left
/// running untouched and a changed one is recreated.
/// </summary>
internal sealed class StackContainers(DockerClient docker, DeployEnvironment environment, ComposeStack stack, RegistryAuth? auth, Action<string> log)
{
    public const string StackLabel = "org.slipway.stack";
    public const string ServiceLabel = "org.slipway.service";
    public const string ColourLabel = "org.slipway.colour";
    public const string VersionLabel = "org.slipway.version";
    public const string SpecLabel = "org.slipway.spec";

    /// <summary>A hash per part of the specification, so a changed container can be described without keeping its settings (or secrets).</summary>
    public const string PartsLabel = "org.slipway.spec-parts";

    private StackNames Names => environment.Names;

    public async Task EnsureNetworksAndVolumesAsync(CancellationToken ct)
    {
        foreach (var network in stack.Networks.Values)
        {
            var name = Names.Network(network.Name);
            if (await docker.Networks.TryInspectAsync(name, ct).ConfigureAwait(false) is null)
            {
                await docker.Networks.CreateAsync(new NetworkCreateParameters(name)
                {
                    Internal = network.Internal,
                    Labels = new Dictionary<string, string> { [StackLabel] = Names.Stack },
                }, ct).ConfigureAwait(false);
                log($"network {name} created{(network.Internal ? " (internal)" : "")}");
            }
        }

        foreach (var volume in stack.Volumes)
        {
            await docker.Volumes.CreateAsync(new VolumeCreateParameters(Names.Volume(volume))
            {
                Labels = new Dictionary<string, string> { [StackLabel] = Names.Stack },
            }, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Pulls an image unless the engine has it (or always, for the app image by digest).</summary>
    public async Task PullAsync(string image, bool always, CancellationToken ct)
    {
        if (!always && await docker.Images.TryInspectAsync(image, ct).ConfigureAwait(false) is not null)
            return;
        var clock = Stopwatch.StartNew();
        var registry = Images.ImageMirror.SplitRegistry(image).Registry;
        // The credentials are for the registry the login named (an ECR token names its endpoint, which Promote and PushEcr
        // push to) and, for a basic-auth registry, the environment file's address.
        var useAuth = auth is not null && (string.Equals(registry, auth.ServerAddress, StringComparison.OrdinalIgnoreCase)
            || string.Equals(registry, environment.Registry.Address, StringComparison.OrdinalIgnoreCase));
        try
        {
            await docker.Images.PullAsync(image, useAuth ? auth : null, ct: ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DockerStreamException or DockerApiException)
        {
            throw new DeployFailedException($"cannot pull {image} from {registry ?? "Docker Hub"}: {e.Message}");
        }

        log($"pulled {image} ({clock.Elapsed.TotalSeconds:0.0} s)");
    }

    /// <summary>
    /// Makes the service's container match the compose files: untouched when running with the same
    /// specification, started when stopped, recreated when changed. Returns whether it was (re)created.
    /// </summary>
    public async Task<bool> EnsureServiceAsync(ComposeService service, TimeSpan healthTimeout, CancellationToken ct)
    {
        await PullAsync(service.Image, always: false, ct).ConfigureAwait(false);
        var name = Names.Container(service.Name);
        var spec = Spec(service, name, service.Image, new Dictionary<string, string>(), service.Ports);
        var existing = await docker.Containers.TryInspectAsync(name, ct).ConfigureAwait(false);
        if (existing is not null && existing.Config.Labels?.GetValueOrDefault(SpecLabel) == spec.Labels[SpecLabel])
        {
            if (existing.State.Running)
            {
                log($"{service.Name} up, unchanged");
                return false;
            }

            await docker.Containers.StartAsync(name, ct).ConfigureAwait(false);
            await WaitHealthyOrThrowAsync(service.Name, name, healthTimeout, ct).ConfigureAwait(false);
            log($"{service.Name} started (was stopped), unchanged");
            return false;
        }

        if (existing is not null)
            await docker.Containers.RemoveAsync(name, force: true, ct: ct).ConfigureAwait(false);
        await docker.Containers.CreateAsync(spec, ct).ConfigureAwait(false);
        await docker.Containers.StartAsync(name, ct).ConfigureAwait(false);
        await WaitHealthyOrThrowAsync(service.Name, name, healthTimeout, ct).ConfigureAwait(false);
        log($"{service.Name} {(existing is null ? "created" : "recreated (configuration changed)")} and healthy");
        return true;
    }

    private async Task WaitHealthyOrThrowAsync(string service, string container, TimeSpan timeout, CancellationToken ct)
    {
        var (problem, _) = await WaitHealthyAsync(container, timeout, ct).ConfigureAwait(false);
        if (problem is not null)
            throw new DeployFailedException($"{service} is not healthy: {problem}. Last lines of its log:\n{await LastLogLinesAsync(container, 20, ct).ConfigureAwait(false)}");
    }

    /// <summary>
    /// Waits until the container is healthy; null problem when it is. Healthy means: its health path answers 200
    /// through <paramref name="direct"/> (polled every 250 ms, so a new colour is not held back by the image's
    /// HEALTHCHECK interval), or without one, the Docker health check passes (or, without one, the container runs). An
    /// exit, or Docker's health check reporting unhealthy, is a problem at once.
    /// </summary>
    public async Task<(string? Problem, TimeSpan Elapsed)> WaitHealthyAsync(string container, TimeSpan timeout, CancellationToken ct, ExecRelay? direct = null)
    {
        var clock = Stopwatch.StartNew();
        using var http = SmokeTester.CreateClient(null, TimeSpan.FromSeconds(1), direct is null ? null : direct.OpenAsync);
        var healthUrl = direct is null ? null : new Uri(direct.Url, SmokeTester.HealthPath);
        while (true)
        {
            var state = (await docker.Containers.InspectAsync(container, ct).ConfigureAwait(false)).State;
            if (!state.Running)
                return ($"exited with code {state.ExitCode}", clock.Elapsed);
            if (state.Health?.Status == "unhealthy")
                return ($"unhealthy after {clock.Elapsed.TotalSeconds:0} s (its Docker health check failed)", clock.Elapsed);
            if (healthUrl is null ? state.Health?.Status is null or "healthy" : await AnswersOkAsync(http, healthUrl, ct).ConfigureAwait(false))
                return (null, clock.Elapsed);
            if (clock.Elapsed > timeout)
                return ($"not healthy within {timeout.TotalSeconds:0} s ({(healthUrl is null ? $"still {state.Health?.Status}" : $"GET {healthUrl} inside {container} never answered 200")})", clock.Elapsed);
            await Task.Delay(250, ct).ConfigureAwait(false);
        }
    }

    private static async Task<bool> AnswersOkAsync(HttpClient http, Uri url, CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync(url, ct).ConfigureAwait(false);
            return response.StatusCode == System.Net.HttpStatusCode.OK;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    public async Task<string> LastLogLinesAsync(string container, int count, CancellationToken ct)
    {
        try
        {
            var logs = await docker.Containers.LogsAsync(container, ct).ConfigureAwait(false);
            var lines = (logs.StandardOutput + logs.StandardError).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return lines.Length == 0 ? "(no output)" : string.Join('\n', lines.TakeLast(count).Select(l => "  | " + l.TrimEnd()));
        }
        catch (DockerApiException e)
        {
            return $"(logs unavailable: {e.Message})";
        }
    }

    /// <summary>The container for a service, as the compose files describe it, named and labelled for this stack.</summary>
    public ContainerSpec Spec(ComposeService service, string name, string image, IReadOnlyDictionary<string, string> labels, IReadOnlyList<PortBinding> ports)
    {
        // Publishing needs a non-internal network first; the service's own name is its alias, as compose does.
        var networks = service.Networks
            .OrderBy(n => stack.Networks.TryGetValue(n, out var network) && network.Internal)
            .Select(n => new NetworkAttachment(Names.Network(n), labels.ContainsKey(ColourLabel) ? [] : [service.Name]))
            .ToArray();
        var spec = new ContainerSpec
        {
            Name = name,
            Image = image,
            Cmd = service.Command,
            Entrypoint = service.Entrypoint,
            Env = service.Environment,
            User = service.User,
            Healthcheck = service.Healthcheck,
            RestartPolicy = service.Restart,
            ReadOnlyRootfs = service.ReadOnly,
            CapDrop = service.CapDrop,
            SecurityOpt = service.SecurityOpt,
            Tmpfs = service.Tmpfs.ToDictionary(t => t.Split(':')[0], t => t.Contains(':', StringComparison.Ordinal) ? t[(t.IndexOf(':', StringComparison.Ordinal) + 1)..] : ""),
            Binds = [.. service.NamedVolumes.Select(v => $"{Names.Volume(v.Volume)}:{v.Target}"), .. service.BindMounts],
            Ports = ports,
            Networks = networks,
            StopSignal = service.StopSignal,
            Labels = new Dictionary<string, string>(labels) { [StackLabel] = Names.Stack, [ServiceLabel] = service.Name },
        };
        return spec with { Labels = new Dictionary<string, string>(spec.Labels) { [SpecLabel] = Hash(spec)[..16], [PartsLabel] = Parts(spec) } };
    }

    /// <summary>
    /// What would change if <paramref name="spec"/> replaced the container of that name: null when it is absent or the
    /// same, else the parts that differ ("image postgres:15 → postgres:16, environment").
    /// </summary>
    public async Task<string?> ChangeAsync(ContainerSpec spec, CancellationToken ct)
    {
        var existing = await docker.Containers.TryInspectAsync(spec.Name!, ct).ConfigureAwait(false);
        if (existing is null || existing.Config.Labels?.GetValueOrDefault(SpecLabel) == spec.Labels[SpecLabel])
            return null;
        if (existing.Config.Labels?.GetValueOrDefault(PartsLabel) is not { } before)
            return "its settings (recorded before Slipway described them)";
        var old = before.Split(' ').Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[^1]);
        var differing = spec.Labels[PartsLabel].Split(' ').Select(p => p.Split('='))
            .Where(p => old.GetValueOrDefault(p[0]) != p[1])
            .Select(p => p[0] == "image" && existing.Config.Image != spec.Image ? $"image {existing.Config.Image} → {spec.Image}" : p[0])
            .ToArray();
        return differing.Length == 0 ? "its settings" : string.Join(", ", differing);
    }

    private static string Hash(object? value) => Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(value)));

    private static string Parts(ContainerSpec spec) => string.Join(' ', new (string Name, object? Value)[]
    {
        ("image", spec.Image),
        ("command", new { spec.Entrypoint, spec.Cmd }),
        ("environment", spec.Env),
        ("user", spec.User),
        ("ports", spec.Ports),
        ("volumes", new { spec.Binds, spec.Tmpfs }),
        ("networks", spec.Networks),
        ("healthcheck", spec.Healthcheck),
        ("hardening", new { spec.ReadOnlyRootfs, spec.CapDrop, spec.SecurityOpt }),
        ("restart", new { spec.RestartPolicy, spec.StopSignal }),
    }.Select(part => $"{part.Name}={Hash(part.Value)[..8]}"));
}
