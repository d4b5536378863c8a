using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Deployment.SmokeTests;
using Slipway.Delivery.Environments;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.Tools.Processes;

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

    /// <summary>Makes the engine a one-node swarm serving v1 behind edge e1 and returns the contender that ships every kind of change with the CLI.</summary>
    public static async Task<Contender> CreateAsync(DockerCli docker, DeployTestStack stack, Releases releases)
    {
        var swarmEndpoint = await InitSwarmAsync(docker);
        await docker.LoginAsync(stack.Auth);
        var environment = stack.Environment;
        var settings = environment.Compose;
        var compose = SingleHostDeployer.LoadStack(environment, stack.Root, releases.V1, Releases.Version1, new Dictionary<string, string>());
        var app = compose.Service(settings.AppService);
        var proxy = compose.Service(settings.ProxyService);

        await docker.RunAsync("network", "create", "--driver", "overlay", Network);
        await docker.RunAsync("config", "create", UpstreamConfig, Path.Combine(stack.Root, SwarmUpstreamFile));
        await docker.RunAsync([
            "service", "create", "--name", App, "--detach=false", "--with-registry-auth", "--replicas", "1",
            "--network", $"name={Network},alias={settings.AppService}", "--endpoint-mode", "dnsrr",
            "--update-order", "start-first", "--update-failure-action", "rollback", "--rollback-order", "start-first",
            .. ContainerOptions(app), releases.V1,
        ]);
        var port = DeployTestStack.FreePort();
        await docker.RunAsync([
            "service", "create", "--name", Edge, "--detach=false", "--with-registry-auth", "--replicas", "1",
            "--network", Network, "--publish", $"mode=host,published={port.ToString(CultureInfo.InvariantCulture)},target={HttpsContainerPort(proxy, stack.HttpsPort)}",
            "--config", $"source={UpstreamConfig},target={settings.UpstreamFile},mode=0444",
            .. ContainerOptions(proxy), releases.Edge1,
        ]);

        var baseUrl = new Uri($"https://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        Task<ProcessResult> Update(string service, string image) => docker.RunAsync("service", "update", "--detach=false", "--with-registry-auth", "--image", image, service);
        Task Rollback(string service) => docker.RunAsync("service", "rollback", "--detach=false", service);

        // The release manager's own smoke checks (the same as our deploy's, through nginx), then `service rollback`.
        async Task ShipCheckAndUndoAsync()
        {
            await Task.WhenAll(Update(App, releases.V5), Update(Edge, releases.BrokenEdge));
            var smoke = await SmokeTester.RunAsync(new SmokeTarget(
                baseUrl, Releases.Version5, environment.TrustedCaFile, true, environment.Smoke.Timeout, environment.Smoke.Retries, environment.Smoke.InitialBackoff));
            if (smoke.Passed)
                throw new InvalidOperationException("the edge without security headers passed the smoke checks: the benchmark is void");
            await Task.WhenAll(Rollback(App), Rollback(Edge));
        }

        // Swarm keeps one previous spec per service: `service rollback` goes back one step only right after an
        // update, so the rollbacks run right after the app-and-nginx release (a failed release would be the one
        // they go back to), and the second swaps the specs back: it goes forward, to the release rolled back.
        var (v2e1, v2e2, v3e3) = (new Serving(Releases.Version2, Releases.E1), new Serving(Releases.Version2, Releases.E2), new Serving(Releases.Version3, Releases.E3));
        Step[] steps =
        [
            new(Change.AppOnly, v2e1, () => Update(App, releases.V2)),
            new(Change.NginxOnly, v2e2, () => Update(Edge, releases.Edge2)),
            new(Change.AppAndNginx, v3e3, () => Task.WhenAll(Update(App, releases.V3), Update(Edge, releases.Edge3))),
            new(Change.Rollback, v2e2, () => Task.WhenAll(Rollback(App), Rollback(Edge))),
            new(Change.RollbackAgain, v3e3, () => Task.WhenAll(Rollback(App), Rollback(Edge))),
            new(Change.CrashAtStart, v3e3, () => ExpectRolledBackAsync(Update(App, releases.Crashing))),
            new(Change.FailsSmoke, v3e3, ShipCheckAndUndoAsync),
        ];
        return new Contender("Docker Swarm CLI", Ours: false, baseUrl, environment.TrustedCaFile!, Setup(settings, swarmEndpoint),
            new Serving(Releases.Version1, Releases.E1), steps);
    }

    /// <summary>The swarm rolls a failed update back itself; the CLI says so on its progress output (and exits 0 once converged again).</summary>
    private static async Task ExpectRolledBackAsync(Task<ProcessResult> update)
    {
        ProcessResult result;
        try
        {
            result = await update;
        }
        catch (ProcessFailedException e)
        {
            result = e.Result;
        }

        if (!result.StandardOutput.Concat(result.StandardError).Any(l => l.Contains("rolled back", StringComparison.OrdinalIgnoreCase)))
            throw new InvalidOperationException($"the swarm took the release that exits at start (the CLI said: {string.Join(" | ", result.StandardOutput.Concat(result.StandardError).TakeLast(5))}): the benchmark is void");
    }

    /// <summary>Removes the baseline's services, so the next contender runs alone on the swarm.</summary>
    public static Task RemoveAsync(DockerCli docker) => docker.RunAsync("service", "rm", App, Edge);

    private static string Setup(ComposeSettings settings, string swarmEndpoint) =>
        $"""
        A one-node swarm on the same private engine (listening on {swarmEndpoint}), made with the docker CLI; one overlay
        network. The app as service `{App}` from the same image digests: 1 replica (ours runs one colour at a time, so both
        sides run as many app containers between deploys), `--endpoint-mode dnsrr` with the network alias
        `{settings.AppService}`, `--update-order start-first --update-failure-action rollback --rollback-order start-first`
        (start-first for the rollback too, or `service rollback` would stop the serving task before the other runs), Docker's
        default update monitor (5 s: the update counts as complete, and the CLI returns, once the new task has run that long),
        and the compose file's health check, tmpfs and environment. The edge nginx (the same edge builds, by digest) as service
        `{Edge}`, published in host mode and reached on 127.0.0.1, with `{SwarmUpstreamFile}` as a swarm config over
        `{settings.UpstreamFile}` (nginx re-resolves `{settings.AppService}` through Docker's DNS every second) and the
        certificates bind-mounted read-only, as in the compose file; a port published in host mode cannot be bound twice, so
        its updates and rollbacks are stop-first (Docker's default): the only proxy stops before the next starts. Timed, each
        until the CLI returns (converged): `docker service update --detach=false --with-registry-auth --image <digest>` of
        `{App}` and/or `{Edge}` (both at once, as `docker stack deploy` would, when a release changes both);
        `docker service rollback --detach=false` of both. The release that crashes: the swarm rolls it back itself, and the CLI
        returns once it has, saying so. The release that fails smoke: swarm has no smoke check, so the release manager runs
        ours (`SmokeTester`, same budget) through nginx after the update, and `service rollback` of both when it fails; all
        of it timed. Swarm keeps one previous spec per service, so its rollbacks run right after the app-and-nginx release
        (after a failed release, `service rollback` would go back to the failed one); the second `service rollback` swaps
        the specs back: it goes forward to the release just rolled back, which is what serves after it.
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
