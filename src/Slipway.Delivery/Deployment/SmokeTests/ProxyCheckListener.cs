using System.Globalization;
using System.Net;
using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment.SmokeTests;

/// <summary>
/// nginx's check listener (nginx/sites/checks.conf): 127.0.0.1:8081 inside the proxy's container, the
/// API's routes without the public rate limit, reached through an <see cref="ExecRelay"/>.
/// </summary>
public sealed class ProxyCheckListener
{
    public const int Port = 8081;

    private readonly ExecRelay relay;

    private ProxyCheckListener(DockerClient docker, string container) => relay = new ExecRelay(docker, container, Port);

    /// <summary>The proxy container the checks run in.</summary>
    public string Container => relay.Container;

    /// <summary>The checks of <paramref name="version"/> through this listener: health, version and dependencies.</summary>
    public SmokeTarget Target(string version, SmokeSettings smoke) =>
        new(relay.Url, version, null, false, smoke.Timeout, smoke.Retries, smoke.InitialBackoff)
        {
            Connector = relay.OpenAsync,
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
        using var http = SmokeTester.CreateClient(null, connector: listener.relay.OpenAsync);
        try
        {
            using var response = await http.GetAsync(new Uri(listener.relay.Url, "/nginx-health"), ct).ConfigureAwait(false);
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
}
