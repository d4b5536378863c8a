using System.Security.Authentication;
using StackExchange.Redis;

namespace Api.Redis;

/// <summary>
/// The service's connection to Redis (one StackExchange.Redis multiplexer, shared by every request).
/// It says why Redis fails in one line: the library's own messages and logs carry a dump of its
/// internal state and stack traces, so its logger is not attached; connection loss and recovery are
/// logged here instead, once per change, never with credentials.
/// </summary>
public sealed partial class RedisConnection : IAsyncDisposable
{
    private readonly ConnectionMultiplexer multiplexer;
    private readonly ILogger<RedisConnection> logger;
    private volatile string? lastConnectionFailure;

    /// <summary>Returns within the endpoint's timeout even when Redis is down, and keeps reconnecting in the background.</summary>
    public RedisConnection(RedisEndpoint endpoint, ILogger<RedisConnection> logger)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        Endpoint = endpoint;
        this.logger = logger;
        multiplexer = ConnectionMultiplexer.Connect(endpoint.ToConfigurationOptions());
        multiplexer.ConnectionFailed += OnConnectionFailed;
        multiplexer.ConnectionRestored += OnConnectionRestored;
    }

    public RedisEndpoint Endpoint { get; }

    public IDatabase Database => multiplexer.GetDatabase();

    /// <summary>What StackExchange.Redis throws when a command fails (its timeouts are not <see cref="RedisException"/>s).</summary>
    public static bool IsFailure(Exception failure) => failure is RedisException or RedisTimeoutException;

    /// <summary>One line: what went wrong with Redis and, where we know, what to do.</summary>
    public string Describe(Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return Cause(failure) ?? failure switch
        {
            RedisTimeoutException => $"Redis at {Endpoint} did not answer within {Endpoint.Timeout.TotalSeconds:0.###} s",
            RedisConnectionException connection => lastConnectionFailure ?? $"Redis at {Endpoint} is not reachable ({connection.FailureType})",
            _ => $"Redis at {Endpoint} failed: {failure.Message.Split('\n', 2)[0].TrimEnd('\r')}",
        };
    }

    public async ValueTask DisposeAsync()
    {
        multiplexer.ConnectionFailed -= OnConnectionFailed;
        multiplexer.ConnectionRestored -= OnConnectionRestored;
        await multiplexer.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>TLS and credential failures, which the library reports as inner exceptions of a connection failure.</summary>
    private string? Cause(Exception failure)
    {
        for (Exception? cause = failure; cause is not null; cause = cause.InnerException)
        {
            if (cause is AuthenticationException tls)
                return $"Redis at {Endpoint}: TLS handshake failed ({tls.Message}); is the server's CA trusted (system store or REDIS_CA_FILE)?";
            if (cause.Message.Contains("WRONGPASS", StringComparison.Ordinal) || cause.Message.Contains("NOAUTH", StringComparison.Ordinal))
                return $"Redis at {Endpoint} refused the user or password in REDIS_URL (WRONGPASS/NOAUTH); fix REDIS_URL";
        }

        return null;
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Interactive)
            return;
        var reason = (e.Exception is { } failure ? Cause(failure) : null) ?? $"Redis at {Endpoint} is not reachable ({e.FailureType})";
        if (reason != lastConnectionFailure)
            LogConnectionFailed(logger, reason);
        lastConnectionFailure = reason;
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Interactive)
            return;
        lastConnectionFailure = null;
        LogConnectionRestored(logger, Endpoint.ToString());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis connection failed: {Reason}")]
    private static partial void LogConnectionFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis connection to {Endpoint} restored")]
    private static partial void LogConnectionRestored(ILogger logger, string endpoint);
}
