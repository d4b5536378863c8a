using System.Text.Json.Serialization;

namespace Slipway.Tools.Docker;

public sealed partial class ContainerOperations
{
    /// <summary>Runs a command inside a running container and waits for it; a non-zero exit is returned, not thrown.</summary>
    public async Task<ExecResult> ExecAsync(string id, IReadOnlyList<string> command, string? user = null, CancellationToken ct = default)
    {
        var created = await transport.PostJsonAsync<ExecCreated>($"containers/{id}/exec", new Dictionary<string, object?>
        {
            ["AttachStdout"] = true,
            ["AttachStderr"] = true,
            ["Tty"] = false,
            ["Cmd"] = command,
            ["User"] = user,
        }, ct: ct).ConfigureAwait(false);

        byte[] output;
        using (var response = await transport.SendAsync(HttpMethod.Post, $"exec/{created.Id}/start",
                   content: DockerTransport.JsonBody(new { Detach = false, Tty = false }), ct: ct).ConfigureAwait(false))
        {
            output = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        }

        var logs = Demultiplex(output);
        var inspect = await transport.GetJsonAsync<ExecInspect>($"exec/{created.Id}/json", ct: ct).ConfigureAwait(false);
        return new ExecResult(inspect.ExitCode ?? -1, logs.StandardOutput, logs.StandardError);
    }

    private sealed record ExecCreated([property: JsonPropertyName("Id")] string Id);

    private sealed record ExecInspect(int? ExitCode, bool Running);
}

/// <summary>What a command run with <see cref="ContainerOperations.ExecAsync"/> printed, and how it exited.</summary>
public sealed record ExecResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}
