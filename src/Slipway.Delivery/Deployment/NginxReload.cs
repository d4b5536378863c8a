using System.Diagnostics;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// A graceful reload that has taken effect. <c>nginx -s reload</c> only signals the master: for a moment the old workers
/// still accept connections with the old configuration, so a check made right after could pass against the release being
/// replaced. This waits until new workers run and every worker from before has stopped accepting (it shows as "is
/// shutting down" while it finishes its requests and keep-alive connections) or is gone.
/// </summary>
public static class NginxReload
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    // nginx is the container's process 1 (the image's entrypoint, daemon off): its children are the workers.
    private static readonly string[] ListWorkers =
        ["sh", "-c", "for p in $(cat /proc/1/task/*/children); do printf '%s ' \"$p\"; tr '\\0' ' ' < /proc/$p/cmdline; echo; done"];

    public static async Task RunAsync(DockerClient docker, string container, IReadOnlyList<string> nginxArguments, CancellationToken ct)
    {
        var before = await WorkersAsync(docker, container, ct).ConfigureAwait(false);
        var reload = await docker.Containers.ExecAsync(container, ["nginx", .. nginxArguments, "-s", "reload"], ct: ct).ConfigureAwait(false);
        if (!reload.Succeeded)
            throw new DeployFailedException($"nginx -s reload in {container} failed: {(reload.StandardError + reload.StandardOutput).Trim()}");
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var now = await WorkersAsync(docker, container, ct).ConfigureAwait(false);
            var accepting = now.Where(w => !w.ShuttingDown).Select(w => w.Pid).ToHashSet();
            if (accepting.Count > 0 && !accepting.Overlaps(before.Select(w => w.Pid)))
                return;
            if (clock.Elapsed > Limit)
                throw new DeployFailedException($"nginx in {container} did not take the reload within {Limit.TotalSeconds:0} s: its workers from before still accept connections");
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
    }

    private static async Task<IReadOnlyList<Worker>> WorkersAsync(DockerClient docker, string container, CancellationToken ct)
    {
        var listing = await docker.Containers.ExecAsync(container, ListWorkers, ct: ct).ConfigureAwait(false);
        if (!listing.Succeeded)
            throw new DeployFailedException($"cannot list nginx's workers in {container}: {(listing.StandardError + listing.StandardOutput).Trim()}");
        return listing.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.Contains("worker process", StringComparison.Ordinal))
            .Select(line => new Worker(line.Split(' ')[0], line.Contains("is shutting down", StringComparison.Ordinal)))
            .ToArray();
    }

    private sealed record Worker(string Pid, bool ShuttingDown);
}
