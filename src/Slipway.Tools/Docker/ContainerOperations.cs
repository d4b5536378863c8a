using Docker.DotNet.Models;

namespace Slipway.Tools.Docker;

public sealed partial class ContainerOperations
{
    private readonly EngineConnection engine;

    internal ContainerOperations(EngineConnection engine) => this.engine = engine;

    public Task StartAsync(string id, CancellationToken ct = default) =>
        engine.CallAsync($"docker start {id}", (docker, token) => docker.Containers.StartContainerAsync(id, new ContainerStartParameters(), token), ct);

    /// <summary>SIGTERM, then SIGKILL after <paramref name="timeout"/> (10 s by default).</summary>
    public Task StopAsync(string id, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var grace = timeout ?? TimeSpan.FromSeconds(10);
        return engine.CallAsync($"docker stop {id}", (docker, token) =>
            docker.Containers.StopContainerAsync(id, new ContainerStopParameters { WaitBeforeKillSeconds = (uint)grace.TotalSeconds }, token),
            ct, engine.Timeouts.Call + grace);
    }

    public async Task<ContainerInspect> InspectAsync(string id, CancellationToken ct = default) =>
        ContainerInspect.From(await engine.CallAsync($"docker inspect {id}", (docker, token) => docker.Containers.InspectContainerAsync(id, token), ct).ConfigureAwait(false));

    /// <summary>Blocks until the container exits; returns its exit code.</summary>
    public async Task<long> WaitAsync(string id, CancellationToken ct = default) =>
        (await engine.CallAsync($"docker wait {id}", (docker, token) => docker.Containers.WaitContainerAsync(id, token), ct, engine.Timeouts.Long).ConfigureAwait(false)).StatusCode;

    /// <summary>Everything the container printed so far, stdout and stderr apart.</summary>
    public Task<ContainerLogs> LogsAsync(string id, CancellationToken ct = default) =>
        engine.CallAsync($"docker logs {id}", async (docker, token) =>
        {
            // The library knows a TTY container's stream is not multiplexed: all of it is stdout then.
            using var stream = await docker.Containers.GetContainerLogsAsync(id, new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, token).ConfigureAwait(false);
            var (stdout, stderr) = await stream.ReadOutputToEndAsync(token).ConfigureAwait(false);
            return new ContainerLogs(stdout, stderr);
        }, ct);

    /// <param name="force">Kill it first if running.</param>
    /// <param name="volumes">Also remove its anonymous volumes.</param>
    public Task RemoveAsync(string id, bool force = false, bool volumes = false, CancellationToken ct = default) =>
        engine.CallAsync($"docker rm {id}", (docker, token) =>
            docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = force, RemoveVolumes = volumes }, token), ct);
}
