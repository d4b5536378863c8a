using System.Net.Sockets;

namespace Api.Redis;

/// <summary>
/// One TCP connection to Redis. Not thread-safe: <see cref="RedisClient"/> hands each connection to one
/// caller at a time. Any transport failure or timeout leaves it <see cref="IsBroken"/>, because a reply
/// may still be in flight and the next reader would get the wrong one.
/// </summary>
public sealed class RedisConnection : IAsyncDisposable
{
    private readonly Socket socket;
    private readonly NetworkStream stream;
    private readonly BufferedStream reader;
    private readonly RedisEndpoint endpoint;

    private RedisConnection(Socket socket, RedisEndpoint endpoint)
    {
        this.socket = socket;
        this.endpoint = endpoint;
        stream = new NetworkStream(socket, ownsSocket: true);
        reader = new BufferedStream(stream, 16 * 1024);
    }

    public bool IsBroken { get; private set; }

    /// <summary>True when the server closed its side while the connection sat idle.</summary>
    public bool ClosedByServer
    {
        get
        {
            try
            {
                return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
            }
            catch (SocketException)
            {
                return true;
            }
            catch (ObjectDisposedException)
            {
                return true;
            }
        }
    }

    public static async Task<RedisConnection> OpenAsync(RedisEndpoint endpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(endpoint.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port, timeout.Token).ConfigureAwait(false);
            return new RedisConnection(socket, endpoint);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new RedisConnectionException(
                $"Redis at {endpoint} did not accept a connection within {endpoint.ConnectTimeout.TotalSeconds:0.###} s");
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new RedisConnectionException($"Redis at {endpoint} is not reachable: {e.Message}", e);
        }
    }

    /// <summary>Sends one command and reads its reply. Error replies are returned, not thrown.</summary>
    public async Task<RedisReply> ExecuteAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(IsBroken, this);
        var command = RespProtocol.EncodeCommand(arguments);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(endpoint.CommandTimeout);
        try
        {
            await stream.WriteAsync(command, timeout.Token).ConfigureAwait(false);
            return await RespProtocol.ReadReplyAsync(reader, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            IsBroken = true;
            throw new RedisConnectionException(
                $"Redis at {endpoint} did not answer {arguments[0]} within {endpoint.CommandTimeout.TotalSeconds:0.###} s");
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            IsBroken = true;
            throw new RedisConnectionException($"Redis at {endpoint} dropped the connection during {arguments[0]}: {e.Message}", e);
        }
        catch
        {
            IsBroken = true;
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        IsBroken = true;
        await reader.DisposeAsync().ConfigureAwait(false);
        await stream.DisposeAsync().ConfigureAwait(false);
    }
}
