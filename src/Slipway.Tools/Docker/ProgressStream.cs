using System.Text.Json;
using Docker.DotNet.Models;

namespace Slipway.Tools.Docker;

/// <summary>
/// Follows the engine's JSON progress stream (build, push, pull) as the library reports it: log lines to
/// <c>log</c>, the aux values the engine sends (image id, pushed digest), and the first error, which the
/// engine reports inside a 200 response and so must be turned into an exception here.
/// </summary>
internal sealed class ProgressStream(string operation, Action<string>? log) : IProgress<JSONMessage>
{
    private readonly List<IDictionary<string, object>> aux = [];
    private string? error;

    public void Report(JSONMessage value)
    {
        if (error is not null)
            return;
        if (value.Error?.Message is { } message)
        {
            error = message.Trim();
            return;
        }

        if (value.Aux?.ExtensionData is { } data)
            aux.Add(data);
        if (LogLine(value) is { } line)
            log?.Invoke(line);
    }

    /// <summary>Throws <see cref="DockerStreamException"/> with the engine's text when the stream reported an error.</summary>
    public void ThrowIfFailed()
    {
        if (error is not null)
            throw new DockerStreamException(operation, error);
    }

    /// <summary>The property of the last aux object that has it, or null.</summary>
    public JsonElement? AuxValue(string name) =>
        aux.LastOrDefault(a => a.ContainsKey(name)) is { } found && found[name] is JsonElement value ? value : null;

    /// <summary>The message as a log line, or null for progress-bar noise.</summary>
    private static string? LogLine(JSONMessage message)
    {
        if (message.Stream is { } stream)
            return stream.TrimEnd('\n', '\r') is { Length: > 0 } line ? line : null;
        if (message.Status is null || message.Progress is { Current: not null } or { Total: not null })
            return null;
        return message.ID is null ? message.Status : $"{message.ID}: {message.Status}";
    }
}
