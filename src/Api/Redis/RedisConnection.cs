using System.Security.Authentication;
using StackExchange.Redis;

namespace Api.Redis;

/// <summary>
/// The service's connection to Redis (one StackExchange.Redis multiplexer, shared by every request).
/// It says why Redis fails in one line: the library's own messages and logs carry a dump of its
/// internal state and stack traces, so its logger is not attached: failed and restored connections
/// are logged here instead, one line per change, never with credentials.
/// </summary>
public sealed partial class RedisConnection : IAsyncDisposable
{
    private readonly ConnectionMultiplexer multiplexer;
    private readonly ILogger<RedisConnection> logger;
    private readonly TaskCompletionSource firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock state = new();
    private long lastSequence = -1;
    private string? lastConnectionFailure;

    /// <summary>Returns within the endpoint's timeout even when Redis is down, and keeps reconnecting in the background.</summary>
    public RedisConnection(RedisEndpoint endpoint, ILogger<RedisConnection> logger)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        Endpoint = endpoint;
        this.logger = logger;
        var options = endpoint.ToConfigurationOptions();
        options.ConnectionAttemptCompleted += OnConnectionAttemptCompleted;
        multiplexer = ConnectionMultiplexer.Connect(options);
        // The outcome of the first attempt reaches us on a worker thread; waiting for it means the
        // very first failed command can already say why (wrong password, untrusted certificate).
        firstAttempt.Task.Wait(endpoint.Timeout);
    }

    public RedisEndpoint Endpoint { get; }

    public IDatabase Database => multiplexer.GetDatabase();

    private string? LastConnectionFailure
    {
        get
        {
            lock (state)
                return lastConnectionFailure;
        }
    }

    /// <summary>What StackExchange.Redis throws when a command fails (its timeouts are not <see cref="RedisException"/>s).</summary>
    public static bool IsFailure(Exception failure) => failure is RedisException or RedisTimeoutException;

    /// <summary>One line: what went wrong with Redis and, where we know, what to do.</summary>
    public string Describe(Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return Cause(failure) ?? failure switch
        {
            RedisTimeoutException => $"Redis at {Endpoint} did not answer within {Endpoint.Timeout.TotalSeconds:0.###} s",
            RedisConnectionException connection => LastConnectionFailure ?? $"Redis at {Endpoint} is not reachable ({connection.FailureType})",
            _ => $"Redis at {Endpoint} failed: {failure.Message.Split('\n', 2)[0].TrimEnd('\r')}",
        };
    }

    public ValueTask DisposeAsync() => multiplexer.DisposeAsync();

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

    private void OnConnectionAttemptCompleted(object? sender, ConnectionAttemptCompletedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Interactive)
            return;
        var failure = e.IsSuccess
            ? null
            : (e.Exception is { } exception ? Cause(exception) : null) ?? $"Redis at {Endpoint} is not reachable ({e.FailureType} during {e.Stage})";
        Record(failure, e.SequenceNumber);
        firstAttempt.TrySetResult();
    }

    /// <summary>Keeps the newest outcome (attempt outcomes arrive on worker threads, possibly out of order) and logs changes only.</summary>
    private void Record(string? failure, long sequence)
    {
        string? previous;
        lock (state)
        {
            if (sequence < lastSequence)
                return;
            lastSequence = sequence;
            previous = lastConnectionFailure;
            lastConnectionFailure = failure;
        }

        if (failure is not null && failure != previous)
            LogConnectionFailed(logger, failure);
        else if (failure is null && previous is not null)
            LogConnectionRestored(logger, Endpoint.ToString());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis connection failed: {Reason}")]
    private static partial void LogConnectionFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis connection to {Endpoint} restored")]
    private static partial void LogConnectionRestored(ILogger logger, string endpoint);
}
