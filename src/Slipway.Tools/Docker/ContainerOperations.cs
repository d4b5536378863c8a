using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Serialization;

namespace Slipway.Tools.Docker;

public sealed partial class ContainerOperations
{
    private readonly DockerTransport transport;

    internal ContainerOperations(DockerTransport transport) => this.transport = transport;

    public Task StartAsync(string id, CancellationToken ct = default) =>
        transport.SendAndForgetAsync(HttpMethod.Post, $"containers/{id}/start", ct: ct);

    /// <summary>SIGTERM, then SIGKILL after <paramref name="timeout"/> (10 s by default).</summary>
    public Task StopAsync(string id, TimeSpan? timeout = null, CancellationToken ct = default) =>
        transport.SendAndForgetAsync(HttpMethod.Post, $"containers/{id}/stop",
            new Query().Add("t", ((int)(timeout ?? TimeSpan.FromSeconds(10)).TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)), ct: ct);

    public Task<ContainerInspect> InspectAsync(string id, CancellationToken ct = default) =>
        transport.GetJsonAsync<ContainerInspect>($"containers/{id}/json", ct: ct);

    /// <summary>Blocks until the container exits; returns its exit code.</summary>
    public async Task<long> WaitAsync(string id, CancellationToken ct = default) =>
        (await transport.PostJsonAsync<WaitResponse>($"containers/{id}/wait", null, ct: ct).ConfigureAwait(false)).StatusCode;

    /// <summary>Everything the container printed so far, stdout and stderr apart.</summary>
    public async Task<ContainerLogs> LogsAsync(string id, CancellationToken ct = default)
    {
        using var response = await transport.SendAsync(HttpMethod.Get, $"containers/{id}/logs",
            new Query().Add("stdout", true).Add("stderr", true), ct: ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        return Demultiplex(bytes);
    }

    /// <param name="force">Kill it first if running.</param>
    /// <param name="volumes">Also remove its anonymous volumes.</param>
    public Task RemoveAsync(string id, bool force = false, bool volumes = false, CancellationToken ct = default) =>
        transport.SendAndForgetAsync(HttpMethod.Delete, $"containers/{id}", new Query().Add("force", force).Add("v", volumes), ct: ct);

    /// <summary>
    /// Splits the engine's multiplexed stream: frames of an 8-byte header (stream type, 3 zero bytes,
    /// big-endian payload length) followed by the payload. A TTY container's raw stream is all stdout.
    /// </summary>
    internal static ContainerLogs Demultiplex(ReadOnlySpan<byte> data)
    {
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var rest = data;
        while (rest.Length >= 8 && rest[0] <= 2 && rest[1] == 0 && rest[2] == 0 && rest[3] == 0)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(rest[4..8]);
            if (rest.Length < 8 + length)
                break;
            (rest[0] == 2 ? stderr : stdout).Write(rest.Slice(8, length));
            rest = rest[(8 + length)..];
        }

        if (rest.Length > 0)
            stdout.Write(rest);
        return new ContainerLogs(Encoding.UTF8.GetString(stdout.ToArray()), Encoding.UTF8.GetString(stderr.ToArray()));
    }

    private sealed record CreatedResponse([property: JsonPropertyName("Id")] string Id);

    private sealed record WaitResponse(long StatusCode);
}
