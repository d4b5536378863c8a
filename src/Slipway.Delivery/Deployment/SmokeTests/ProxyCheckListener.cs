using System.Globalization;
using System.Net;
using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment.SmokeTests;

/// <summary>
/// nginx's check listener (nginx/sites/checks.conf): 127.0.0.1:8081 inside the proxy's container, the
/// API's routes without the public rate limit. Each connection to it is a relay (bash's /dev/tcp, or
/// nc where there is no bash) started by <c>docker exec</c>, so it travels over the engine API the
/// deploy already holds, to a local or a remote engine alike, and no port is published for it.
/// </summary>
public sealed class ProxyCheckListener
{
    public const int Port = 8081;

    /// <summary>stdin to the port and the port to stdout, ending when nginx closes the connection.</summary>
    private const string Relay = """
        port=$0
        if command -v bash >/dev/null 2>&1; then
          exec bash -c 'exec 3<>/dev/tcp/127.0.0.1/$0 || exit 1; cat <&0 >&3 & cat <&3; kill $! 2>/dev/null' "$port"
        fi
        exec nc 127.0.0.1 "$port"
        """;

    private readonly DockerClient docker;

    private ProxyCheckListener(DockerClient docker, string container)
    {
        this.docker = docker;
        Container = container;
    }

    /// <summary>The proxy container the checks run in.</summary>
    public string Container { get; }

    /// <summary>The checks of <paramref name="version"/> through this listener: health, version and dependencies.</summary>
    public SmokeTarget Target(string version, SmokeSettings smoke) =>
        new(new Uri($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}"), version, null, false, smoke.Timeout, smoke.Retries, smoke.InitialBackoff)
        {
            Connector = OpenAsync,
            Label = $"check listener in {Container}",
        };

    /// <summary>
    /// The running proxy's listener, when it answers; otherwise why not (no proxy container on this
    /// engine, or a proxy image from before the listener existed).
    /// </summary>
    public static async Task<(ProxyCheckListener? Listener, string? Missing)> FindAsync(DockerClient docker, DeployEnvironment environment, CancellationToken ct = default)
    {
        var container = await ProxyContainerAsync(docker, environment, ct).ConfigureAwait(false);
        if (container is null)
            return (null, $"no running {environment.Compose.ProxyService} container on the engine at {docker.Endpoint}");
        var listener = new ProxyCheckListener(docker, container);
        using var http = SmokeTester.CreateClient(null, connector: listener.OpenAsync);
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/nginx-health"), ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.OK)
                return (listener, null);
            return (null, $"{container} answers HTTP {(int)response.StatusCode} on its check listener");
        }
        catch (HttpRequestException e)
        {
            return (null, $"{container} has no check listener on 127.0.0.1:{Port} ({(e.InnerException?.Message ?? e.Message).ReplaceLineEndings(" ")}; a proxy image older than nginx/sites/checks.conf?)");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, $"{container}'s check listener did not answer within {http.Timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>The proxy's container: the compose-named one, or on a swarm a running task of the proxy service on this engine.</summary>
    private static async Task<string?> ProxyContainerAsync(DockerClient docker, DeployEnvironment environment, CancellationToken ct)
    {
        var names = environment.Names;
        var proxy = environment.Compose.ProxyService;
        if (environment.Strategy != DeployStrategy.Swarm)
        {
            var container = await docker.Containers.TryInspectAsync(names.Container(proxy), ct).ConfigureAwait(false);
            return container is { State.Running: true } ? names.Container(proxy) : null;
        }

        var tasks = await docker.Containers.ListAsync([$"com.docker.swarm.service.name={names.SwarmService(proxy)}"], ct).ConfigureAwait(false);
        return tasks.FirstOrDefault(t => t.State == "running")?.Name;
    }

    private async ValueTask<Stream> OpenAsync(CancellationToken ct) =>
        await docker.Containers.OpenExecStreamAsync(Container, ["sh", "-c", Relay, Port.ToString(CultureInfo.InvariantCulture)], ct).ConfigureAwait(false);
}
