using System.Collections.Concurrent;
using System.Globalization;

namespace Api.Redis;

/// <summary>
/// A thread-safe Redis client over a small pool of <see cref="RedisConnection"/>s. A connection that
/// failed is dropped, and one the server closed while idle is replaced before use, so callers
/// recover from a Redis restart without doing anything. Commands are never retried: after a
/// failure mid-command the caller cannot know whether the server applied it.
/// </summary>
public sealed class RedisClient : IAsyncDisposable
{
    private readonly RedisEndpoint endpoint;
    private readonly SemaphoreSlim slots;
    private readonly ConcurrentBag<RedisConnection> idle = [];
    private bool disposed;

    public RedisClient(RedisEndpoint endpoint, int maxConnections = 16)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConnections, 1);
        this.endpoint = endpoint;
        slots = new SemaphoreSlim(maxConnections, maxConnections);
    }

    public RedisEndpoint Endpoint => endpoint;

    /// <summary>Runs any command and returns its reply; an error reply throws <see cref="RedisServerException"/>.</summary>
    public async Task<RedisReply> ExecuteAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentOutOfRangeException.ThrowIfZero(arguments.Count);
        ObjectDisposedException.ThrowIf(disposed, this);
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        RedisConnection? connection = null;
        try
        {
            connection = await RentAsync(cancellationToken).ConfigureAwait(false);
            var reply = await connection.ExecuteAsync(arguments, cancellationToken).ConfigureAwait(false);
            return reply is RedisReply.Error error ? throw new RedisServerException($"Redis {arguments[0]}: {error.Message}") : reply;
        }
        finally
        {
            if (connection is { IsBroken: false } && !disposed)
                idle.Add(connection);
            else if (connection is not null)
                await connection.DisposeAsync().ConfigureAwait(false);
            slots.Release();
        }
    }

    public async Task<bool> PingAsync(CancellationToken cancellationToken = default) =>
        await ExecuteAsync(["PING"], cancellationToken).ConfigureAwait(false) is RedisReply.SimpleString { Value: "PONG" };

    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken = default) =>
        await ExecuteAsync(["GET", key], cancellationToken).ConfigureAwait(false) switch
        {
            RedisReply.BulkString bulk => bulk.AsText(),
            var other => throw Unexpected("GET", other),
        };

    /// <summary>SET key value [EX seconds].</summary>
    public async Task SetAsync(string key, string value, TimeSpan? expiry = null, CancellationToken cancellationToken = default)
    {
        string[] arguments = expiry is { } ttl
            ? ["SET", key, value, "EX", Seconds(ttl)]
            : ["SET", key, value];
        var reply = await ExecuteAsync(arguments, cancellationToken).ConfigureAwait(false);
        if (reply is not RedisReply.SimpleString { Value: "OK" })
            throw Unexpected("SET", reply);
    }

    /// <summary>DEL key...; returns how many keys existed.</summary>
    public async Task<long> DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return await IntegerAsync(["DEL", .. keys], cancellationToken).ConfigureAwait(false);
    }

    public Task<long> IncrementAsync(string key, CancellationToken cancellationToken = default) =>
        IntegerAsync(["INCR", key], cancellationToken);

    /// <summary>EXPIRE key seconds; false when the key does not exist.</summary>
    public async Task<bool> ExpireAsync(string key, TimeSpan expiry, CancellationToken cancellationToken = default) =>
        await IntegerAsync(["EXPIRE", key, Seconds(expiry)], cancellationToken).ConfigureAwait(false) == 1;

    public async ValueTask DisposeAsync()
    {
        disposed = true;
        while (idle.TryTake(out var connection))
            await connection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<RedisConnection> RentAsync(CancellationToken cancellationToken)
    {
        while (idle.TryTake(out var connection))
        {
            if (!connection.ClosedByServer)
                return connection;
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        return await RedisConnection.OpenAsync(endpoint, cancellationToken).ConfigureAwait(false);
    }

    private async Task<long> IntegerAsync(string[] arguments, CancellationToken cancellationToken) =>
        await ExecuteAsync(arguments, cancellationToken).ConfigureAwait(false) switch
        {
            RedisReply.Integer integer => integer.Value,
            var other => throw Unexpected(arguments[0], other),
        };

    private static string Seconds(TimeSpan span) =>
        span >= TimeSpan.FromSeconds(1)
            ? ((long)span.TotalSeconds).ToString(CultureInfo.InvariantCulture)
            : throw new ArgumentOutOfRangeException(nameof(span), span, "Redis expiries are whole seconds, at least 1");

    private static RedisProtocolException Unexpected(string command, RedisReply reply) =>
        new($"unexpected reply to {command}: {reply}");
}
