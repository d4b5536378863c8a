using System.Security.Authentication;
using StackExchange.Redis;

namespace Api.Redis;

/// <summary>
/// One line saying why a Redis command failed. StackExchange.Redis's own messages carry a dump of
/// its internal state; the cause (credentials, TLS, unreachable, slow) is what an operator needs.
/// </summary>
public static class RedisFailure
{
    /// <summary>What StackExchange.Redis throws when a command fails (its timeouts are not <see cref="RedisException"/>s).</summary>
    public static bool IsRedisFailure(Exception failure) => failure is RedisException or RedisTimeoutException;

    public static string Describe(RedisEndpoint endpoint, Exception failure)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(failure);
        var causes = Causes(failure).ToList();
        if (causes.OfType<AuthenticationException>().FirstOrDefault() is { } tls)
            return $"Redis at {endpoint}: TLS handshake failed ({tls.Message}); is the server's CA trusted (system store or REDIS_CA_FILE)?";
        if (causes.Any(RefusedCredentials))
            return $"Redis at {endpoint} refused the user or password in REDIS_URL (WRONGPASS/NOAUTH); fix REDIS_URL";
        return failure switch
        {
            RedisTimeoutException => $"Redis at {endpoint} did not answer within {endpoint.Timeout.TotalSeconds:0.###} s",
            RedisConnectionException connection => $"Redis at {endpoint} is not reachable ({connection.FailureType})",
            _ => $"Redis at {endpoint} failed: {FirstLine(failure.Message)}",
        };
    }

    private static bool RefusedCredentials(Exception cause) =>
        cause is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure }
        || cause.Message.Contains("WRONGPASS", StringComparison.Ordinal)
        || cause.Message.Contains("NOAUTH", StringComparison.Ordinal)
        || cause.Message.Contains("invalid password", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<Exception> Causes(Exception failure)
    {
        for (Exception? cause = failure; cause is not null; cause = cause.InnerException)
            yield return cause;
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].TrimEnd('\r');
}
