using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.Tools.Docker;

namespace Slipway.Benchmarks.Deploy;

/// <summary>
/// The baseline: Docker Swarm's own rolling update and rollback of the same images on the same engine,
/// behind the same edge nginx, run as a swarm service that finds the app's tasks through Docker's DNS.
/// The services are made with the docker CLI from the deploy tests' compose file, as an operator would.
/// </summary>
internal static class SwarmBaseline
{
    private const string App = "app";
    private const string Edge = "edge";
    private const string Network = "slipway-bench";
    private const string UpstreamConfig = "slipway-bench-api-upstream";
    private const string SwarmUpstreamFile = "nginx/swarm/api.conf";
    private const int GossipPort = 7946;

    /// <summary>Makes the engine a one-node swarm serving v1 and returns the contender that updates it to v2 and back.</summary>
    public static async Task<Contender> CreateAsync(DockerCli docker, DeployTestStack stack, string v1Image, string v2Image)
    {
        var swarmEndpoint = await InitSwarmAsync(docker);
        await docker.LoginAsync(stack.Auth);
        var settings = stack.Environment.Compose;
        var compose = SingleHostDeployer.LoadStack(stack.Environment, stack.Root, v1Image, Contender.V1, new Dictionary<string, string>());
        var app = compose.Service(settings.AppService);
        var proxy = compose.Service(settings.ProxyService);

        await docker.RunAsync("network", "create", "--driver", "overlay", Network);
        await docker.RunAsync("config", "create", UpstreamConfig, Path.Combine(stack.Root, SwarmUpstreamFile));
        await docker.RunAsync([
            "service", "create", "--name", App, "--detach=false", "--with-registry-auth", "--replicas", "1",
            "--network", $"name={Network},alias={settings.AppService}", "--endpoint-mode", "dnsrr",
            "--update-order", "start-first", "--update-failure-action", "rollback", "--rollback-order", "start-first",
            .. ContainerOptions(app), v1Image,
        ]);
        var port = DeployTestStack.FreePort();
        await docker.RunAsync([
            "service", "create", "--name", Edge, "--detach=false", "--with-registry-auth", "--replicas", "1",
            "--network", Network, "--publish", $"mode=host,published={port.ToString(CultureInfo.InvariantCulture)},target={HttpsContainerPort(proxy, stack.HttpsPort)}",
            "--config", $"source={UpstreamConfig},target={settings.UpstreamFile},mode=0444",
            .. ContainerOptions(proxy), proxy.Image,
        ]);

        return new Contender(
            "Docker Swarm: `service update` / `service rollback`",
            Ours: false,
            new Uri($"https://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"),
            stack.Environment.TrustedCaFile!,
            Setup(settings, swarmEndpoint),
            Deploy: () => docker.RunAsync("service", "update", "--detach=false", "--with-registry-auth", "--image", v2Image, App),
            Rollback: () => docker.RunAsync("service", "rollback", "--detach=false", App));
    }

    /// <summary>Removes the baseline's services, so the next contender runs alone on the swarm.</summary>
    public static Task RemoveAsync(DockerCli docker) => docker.RunAsync("service", "rm", App, Edge);

    private static string Setup(ComposeSettings settings, string swarmEndpoint) =>
        $"""
        A one-node swarm on the same private engine (listening on {swarmEndpoint}), made with the docker CLI; one overlay
        network. The app as service `{App}` from the same image digests: 1 replica (ours runs one colour at a time, so both
        sides run as many app containers between deploys), `--endpoint-mode dnsrr` with the network alias
        `{settings.AppService}`, `--update-order start-first --update-failure-action rollback --rollback-order start-first`
        (start-first for the rollback too, or `service rollback` would stop v2 before v1 runs), Docker's default update
        monitor (5 s: the update counts as complete, and the CLI returns, once the new task has run that long), and the
        compose file's health check, tmpfs and environment. The edge nginx (our image, by digest) as service `{Edge}`,
        published in host mode and reached on 127.0.0.1, with `{SwarmUpstreamFile}` as a swarm config over
        `{settings.UpstreamFile}` (nginx re-resolves `{settings.AppService}` through Docker's DNS every second) and the
        certificates bind-mounted read-only, as in the compose file. Timed: `docker service update --detach=false
        --with-registry-auth --image <v2 by digest> {App}` and `docker service rollback --detach=false {App}`, each until
        the CLI returns (converged).
        """;

    /// <summary>
    /// Another swarm engine on this host may already own the default gateway bridge (an interface in the
    /// host's namespace), the swarm port 2377 and the VXLAN port 4789: ours gets its own of each.
    /// </summary>
    /// <returns>The address the swarm listens on.</returns>
    private static async Task<string> InitSwarmAsync(DockerCli docker)
    {
        await docker.RunAsync("network", "create", "--driver", "bridge",
            "--opt", $"com.docker.network.bridge.name=sgw{Guid.NewGuid().ToString("N")[..8]}",
            "--opt", "com.docker.network.bridge.enable_icc=false",
            "--opt", "com.docker.network.bridge.enable_ip_masquerade=true",
            "docker_gwbridge");
        var address = SwarmAddress();
        var endpoint = new IPEndPoint(address, FreePort(address, SocketType.Stream, ProtocolType.Tcp)).ToString();
        await docker.RunAsync("swarm", "init", "--advertise-addr", endpoint, "--listen-addr", endpoint,
            "--data-path-port", FreeVxlanPort().ToString(CultureInfo.InvariantCulture));
        return endpoint;
    }

    /// <summary>
    /// The engine's gossip port (7946, tcp and udp, on the listen address) cannot be changed, and without it
    /// Docker's DNS knows no service. When another swarm engine holds it on 127.0.0.1, ours listens on ::1.
    /// </summary>
    private static IPAddress SwarmAddress() =>
        new[] { IPAddress.Loopback, IPAddress.IPv6Loopback }.FirstOrDefault(a => Free(a, GossipPort, SocketType.Stream, ProtocolType.Tcp) && Free(a, GossipPort, SocketType.Dgram, ProtocolType.Udp))
            ?? throw new InvalidOperationException($"port {GossipPort} is taken on 127.0.0.1 and ::1 by other swarm engines; stop one and run again");

    /// <summary>The engine takes only a registered port (1024-49151) for VXLAN, so not one the kernel hands out.</summary>
    private static int FreeVxlanPort() =>
        Enumerable.Range(0, 100).Select(_ => Random.Shared.Next(20_000, 49_152)).First(port => Free(IPAddress.Any, port, SocketType.Dgram, ProtocolType.Udp));

    private static bool Free(IPAddress address, int port, SocketType type, ProtocolType protocol)
    {
        try
        {
            using var socket = new Socket(address.AddressFamily, type, protocol);
            socket.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort(IPAddress address, SocketType type, ProtocolType protocol)
    {
        using var socket = new Socket(address.AddressFamily, type, protocol);
        socket.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
    /// <summary>The compose service's container settings as `docker service create` options; ports, networks and volumes are set by the caller.</summary>
    private static IEnumerable<string> ContainerOptions(ComposeService service)
    {
        if (service.User is { } user)
            yield return $"--user={user}";
        if (service.ReadOnly)
            yield return "--read-only";
        foreach (var path in service.Tmpfs)
            yield return $"--mount=type=tmpfs,target={path}";
        foreach (var bind in service.BindMounts)
        {
            var parts = bind.Split(':');
            yield return $"--mount=type=bind,source={parts[0]},target={parts[1]}{(parts.ElementAtOrDefault(2) == "ro" ? ",readonly" : "")}";
        }

        foreach (var capability in service.CapDrop)
            yield return $"--cap-drop={capability}";
        foreach (var (name, value) in service.Environment)
            yield return $"--env={name}={value}";
        if (service.Healthcheck is { } health)
        {
            yield return $"--health-cmd={HealthCommand(health.Test)}";
            yield return $"--health-interval={Milliseconds(health.Interval)}";
            yield return $"--health-timeout={Milliseconds(health.Timeout)}";
            yield return $"--health-retries={health.Retries.ToString(CultureInfo.InvariantCulture)}";
            yield return $"--health-start-period={Milliseconds(health.StartPeriod)}";
        }
    }

    /// <summary>The CLI takes only the shell form; the exec form is quoted for /bin/sh.</summary>
    private static string HealthCommand(IReadOnlyList<string> test) => test[0] switch
    {
        "CMD-SHELL" => test[1],
        "CMD" => string.Join(' ', test.Skip(1).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'")),
        _ => throw new NotSupportedException($"health check test {string.Join(' ', test)}"),
    };

    private static string Milliseconds(TimeSpan value) => ((long)value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";

    /// <summary>The proxy's HTTPS port inside its container: the one the compose file publishes on the stack's HTTPS port.</summary>
    private static int HttpsContainerPort(ComposeService proxy, int httpsPort) => proxy.Ports.Single(p => p.HostPort == httpsPort).ContainerPort;
}
