using System.Text.Json;

namespace Slipway.Tools.Docker;

/// <summary>One message of the engine's JSON progress stream (build, push, pull).</summary>
internal sealed record JsonMessage(
    string? Stream,
    string? Status,
    string? Id,
    string? Progress,
    string? Error,
    JsonMessageError? ErrorDetail,
    JsonElement? Aux)
{
    public string? ErrorText => ErrorDetail?.Message ?? Error;

    /// <summary>The message as a log line, or null for pure progress-bar noise.</summary>
    public string? LogLine()
    {
        if (Stream is { } stream)
            return stream.TrimEnd('\n', '\r') is { Length: > 0 } line ? line : null;
        if (Status is null || Progress is not null)
            return null;
        return Id is null ? Status : $"{Id}: {Status}";
    }
}

internal sealed record JsonMessageError(string? Message);

internal static class JsonMessageStream
{
    /// <summary>
    /// Reads the stream to its end, passing every log line to <paramref name="log"/> and every message
    /// to <paramref name="onMessage"/>; the first error message fails the operation with the engine's text.
    /// </summary>
    public static async Task ReadAsync(
        HttpResponseMessage response, string operation, Action<string>? log, Action<JsonMessage>? onMessage, CancellationToken ct)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
                continue;
            var message = JsonSerializer.Deserialize<JsonMessage>(line, DockerTransport.Json)
                ?? throw new DockerStreamException(operation, $"unreadable progress message '{line}'");
            if (message.ErrorText is { } error)
                throw new DockerStreamException(operation, error.Trim());
            if (message.LogLine() is { } text)
                log?.Invoke(text);
            onMessage?.Invoke(message);
        }
    }
}
