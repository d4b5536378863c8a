using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Handler.Abstractions;
using Library = Docker.DotNet;

namespace Slipway.Tools.Docker;

/// <summary>
/// The library's client for one engine, at the API version negotiated with it; every call runs under a
/// timeout, and the library's errors become ours (<see cref="DockerEngineUnreachableException"/>,
/// <see cref="DockerApiException"/>, <see cref="DockerTimeoutException"/>).
/// </summary>
internal sealed class EngineConnection : IDisposable
{
    private readonly SemaphoreSlim negotiation = new(1, 1);
    private Library.DockerClient? client;

    public EngineConnection(DockerEndpoint endpoint, DockerTimeouts timeouts)
    {
        Endpoint = endpoint;
        Timeouts = timeouts;
    }

    public DockerEndpoint Endpoint { get; }

    public DockerTimeouts Timeouts { get; }

    /// <summary>Runs one library call under <paramref name="timeout"/> (the default per-call timeout when null).</summary>
    public async Task<T> CallAsync<T>(string operation, Func<IDockerClient, CancellationToken, Task<T>> call, CancellationToken ct, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Timeouts.Call;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(limit);
        try
        {
            var docker = await ClientAsync(timer.Token).ConfigureAwait(false);
            return await call(docker, timer.Token).ConfigureAwait(false);
        }
        // The library's handler may wrap the cancellation in an HttpRequestException: the token says whose it was.
        catch (Exception e) when (timer.IsCancellationRequested)
        {
            if (ct.IsCancellationRequested)
                throw new OperationCanceledException($"{operation} cancelled", e, ct);
            throw new DockerTimeoutException(Endpoint, operation, limit, e);
        }
        catch (Library.DockerApiException e)
        {
            throw Translate(e);
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            throw new DockerEngineUnreachableException(Endpoint, e);
        }
    }

    public Task CallAsync(string operation, Func<IDockerClient, CancellationToken, Task> call, CancellationToken ct, TimeSpan? timeout = null) =>
        CallAsync<bool>(operation, async (docker, token) =>
        {
            await call(docker, token).ConfigureAwait(false);
            return true;
        }, ct, timeout);

    /// <summary>Asks the engine its versions (unversioned /version, as the docker CLI does) and builds the client at the agreed one.</summary>
    private async Task<Library.DockerClient> ClientAsync(CancellationToken ct)
    {
        if (client is not null)
            return client;
        await negotiation.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (client is null)
            {
                using var probe = Build(apiVersion: null);
                var server = await probe.System.GetVersionAsync(ct).ConfigureAwait(false);
                client = Build(ApiVersionNegotiation.Agree(ApiVersionNegotiation.ClientMaximum, server.APIVersion, server.MinAPIVersion));
            }

            return client;
        }
        finally
        {
            negotiation.Release();
        }
    }

    private Library.DockerClient Build(Version? apiVersion) =>
        new DockerClientBuilder()
            .WithEndpoint(Endpoint.EngineUri)
            .WithAuthProvider(Endpoint.CertPath is { } certPath ? DockerTls.Credentials(certPath) : NoopAuthProvider.Instance)
            .WithApiVersion(apiVersion)
            // Our own timer bounds every call (CallAsync), streams included.
            .WithTimeout(Timeout.InfiniteTimeSpan)
            .Build();

    private static DockerApiException Translate(Library.DockerApiException e)
    {
        var message = EngineMessage(e.ResponseBody) ?? $"HTTP {(int)e.StatusCode} {e.StatusCode}";
        return e.StatusCode == System.Net.HttpStatusCode.NotFound
            ? new DockerNotFoundException(message)
            : new DockerApiException(e.StatusCode, message);
    }

    /// <summary>The engine's {"message": ...}, or its plain-text body.</summary>
    private static string? EngineMessage(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
            return null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("message", out var m) ? m.GetString() : body.Trim();
        }
        catch (JsonException)
        {
            return body.Trim();
        }
    }

    /// <summary>No connection, or no TLS session the engine and we both trust, anywhere in the chain of causes.</summary>
    private static bool IsUnreachable(Exception? e) => e switch
    {
        null => false,
        HttpRequestException { StatusCode: not null } => false,
        HttpRequestException or SocketException or AuthenticationException => true,
        _ => IsUnreachable(e.InnerException),
    };

    public void Dispose()
    {
        client?.Dispose();
        negotiation.Dispose();
    }
}

/// <summary>How long a call to the engine may take before it fails with <see cref="DockerTimeoutException"/>.</summary>
/// <param name="Call">Any call that should answer at once: inspect, create, start, remove, ...</param>
/// <param name="Long">Build, push, pull, save, and waiting for a container to exit.</param>
public sealed record DockerTimeouts(TimeSpan Call, TimeSpan Long)
{
    public static DockerTimeouts Default { get; } = new(TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(30));
}
