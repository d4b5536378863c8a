using Docker.DotNet.Models;

namespace Slipway.Tools.Docker;

public sealed partial class ContainerOperations
{
    /// <summary>Runs a command inside a running container and waits for it; a non-zero exit is returned, not thrown.</summary>
    public Task<ExecResult> ExecAsync(string id, IReadOnlyList<string> command, string? user = null, CancellationToken ct = default) =>
        engine.CallAsync($"docker exec {id}", async (docker, token) =>
        {
            var created = await docker.Exec.CreateContainerExecAsync(id, new ContainerExecCreateParameters
            {
                AttachStdout = true,
                AttachStderr = true,
                Cmd = [.. command],
                User = user ?? "",
            }, token).ConfigureAwait(false);
            string stdout, stderr;
            using (var stream = await docker.Exec.StartContainerExecAsync(created.ID, new ContainerExecStartParameters(), token).ConfigureAwait(false))
                (stdout, stderr) = await stream.ReadOutputToEndAsync(token).ConfigureAwait(false);
            var inspect = await docker.Exec.InspectContainerExecAsync(created.ID, token).ConfigureAwait(false);
            return new ExecResult((int)(inspect.ExitCode ?? -1), stdout, stderr);
        }, ct, engine.Timeouts.Long);
}

/// <summary>What a command run with <see cref="ContainerOperations.ExecAsync"/> printed, and how it exited.</summary>
public sealed record ExecResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}
