using System.Diagnostics;
using System.Globalization;
using Slipway.Migrations;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// The release phase: one container from the new app image, with the app service's environment (its
/// DATABASE_URL) on the app service's networks (where PostgreSQL is), running <see cref="DeployRequest.ReleaseCommand"/>
/// to completion before any app container changes. The machine that deploys never connects to the database,
/// so no database port is published and a remote database need not be reachable from it; the migrator in the
/// image takes the database's migration lock. The exit code decides: non-zero stops the deploy, app untouched,
/// with the container's last log lines.
/// <para>
/// Single host and swarm run it the same way, as a plain container on the engine the deploy talks to. On a swarm
/// that container joins the stack's overlay networks, which the deploy creates attachable: it resolves the
/// services as the app's tasks do, and its exit code and log come straight from the engine. A one-off service
/// (replicas 1, restart none) would also get swarm secrets and placement, but its outcome would have to be read
/// from task states and its log is not kept by every logging driver; the stack uses neither.
/// </para>
/// </summary>
internal sealed class ReleasePhase(DockerClient docker, DeployRequest request, ComposeStack stack, Action<string> log)
{
    /// <summary>Marks the release container (its value is the release's version).</summary>
    public const string Label = "org.slipway.release-phase";

    private const int LastLines = 20;

    /// <summary>The image's own HEALTHCHECK would report a one-off command as starting, then unhealthy: it does not apply.</summary>
    private static readonly HealthcheckSpec NoHealthcheck = new(["NONE"], TimeSpan.Zero, TimeSpan.Zero, 0, TimeSpan.Zero);

    /// <summary>Runs the release phase, if the request has one.</summary>
    /// <param name="serving">What still serves, for the failure message.</param>
    /// <returns>The schema version the command reported (<see cref="SchemaVersionLine"/>); null when it reported none.</returns>
    /// <exception cref="DeployFailedException">The command exited non-zero, or its container could not start.</exception>
    public async Task<string?> RunAsync(ComposeService app, string serving, CancellationToken ct)
    {
        if (request.ReleaseCommand is not { Count: > 0 } command)
            return null;
        var environment = request.Environment;
        var containers = new StackContainers(docker, environment, stack, request.RegistryAuth, log);
        await containers.PullAsync(request.AppImage, always: false, ct).ConfigureAwait(false);
        var name = environment.Names.Container($"{app.Name}-release");
        var spec = containers.Spec(app, name, request.AppImage, new Dictionary<string, string>(), []);
        spec = spec with
        {
            Cmd = command,
            RestartPolicy = "no",
            Healthcheck = NoHealthcheck,
            // No alias: nginx and Docker's DNS must never take it for the app.
            Networks = spec.Networks.Select(n => n with { Aliases = [] }).ToArray(),
            Labels = new Dictionary<string, string>(spec.Labels) { [StackContainers.ServiceLabel] = $"{app.Name}-release", [Label] = request.Version },
        };

        // Left by a deploy that was killed: this one holds the deploy lock, so nothing else is using it.
        if (await docker.Containers.TryInspectAsync(name, ct).ConfigureAwait(false) is not null)
            await docker.Containers.RemoveAsync(name, force: true, ct: ct).ConfigureAwait(false);
        log($"release phase: {Show(command)} from {request.AppImage} on {string.Join(", ", app.Networks)}");
        var clock = Stopwatch.StartNew();
        try
        {
            await docker.Containers.CreateAsync(spec, ct).ConfigureAwait(false);
            await docker.Containers.StartAsync(name, ct).ConfigureAwait(false);
        }
        catch (DockerApiException e)
        {
            await RemoveAsync(name).ConfigureAwait(false);
            throw new DeployFailedException($"the release phase could not start, so the app was not touched ({serving}): {e.Message}");
        }

        try
        {
            var exitCode = await docker.Containers.WaitAsync(name, ct).ConfigureAwait(false);
            var logs = await docker.Containers.LogsAsync(name, ct).ConfigureAwait(false);
            var lines = Lines(logs.StandardOutput).Concat(Lines(logs.StandardError)).ToList();
            foreach (var line in lines)
                log($"  | {line}");
            if (exitCode != 0)
            {
                var last = lines.Count == 0 ? "  | (no output)" : string.Join('\n', lines.TakeLast(LastLines).Select(l => $"  | {l}"));
                throw new DeployFailedException(
                    $"release phase `{Show(command)}` exited with code {exitCode.ToString(CultureInfo.InvariantCulture)}, so the app was not touched ({serving}); " +
                    $"last {LastLines} lines of its log:\n{last}");
            }

            var version = SchemaVersionLine.Find(logs.StandardOutput)?.ToString(CultureInfo.InvariantCulture);
            log($"release phase done in {clock.Elapsed.TotalSeconds:0.0} s{(version is null ? "" : $", schema version {version}")}");
            return version;
        }
        finally
        {
            // Also on Ctrl+C or an engine timeout: a migration killed mid-way rolls its transaction back.
            await RemoveAsync(name).ConfigureAwait(false);
        }
    }

    private async Task RemoveAsync(string name)
    {
        try
        {
            await docker.Containers.RemoveAsync(name, force: true, ct: CancellationToken.None).ConfigureAwait(false);
        }
        catch (DockerNotFoundException)
        {
            // It was never created.
        }
        catch (Exception e) when (e is DockerApiException or DockerTimeoutException or DockerEngineUnreachableException)
        {
            log($"could not remove {name} ({e.Message}); the next deploy removes it");
        }
    }

    private static IEnumerable<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).Where(l => l.Length > 0);

    private static string Show(IReadOnlyList<string> command) => string.Join(' ', command);
}
