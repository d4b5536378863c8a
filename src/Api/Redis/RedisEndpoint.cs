using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using StackExchange.Redis;

namespace Api.Redis;

/// <summary>
/// REDIS_URL, parsed: <c>redis://[user[:password]@]host[:port][/db]</c>, or <c>rediss://</c> for TLS.
/// StackExchange.Redis takes its own configuration, not URLs; <see cref="ToConfigurationOptions"/> translates.
/// </summary>
public sealed record RedisEndpoint(string Host, int Port)
{
    public const int DefaultPort = 6379;

    public string? User { get; init; }

    public string? Password { get; init; }

    public int Database { get; init; }

    public bool Tls { get; init; }

    /// <summary>The CA that signed the server's certificate, when the system's trust store does not hold it.</summary>
    public X509Certificate2? TrustedCa { get; init; }

    /// <summary>Upper bound for connecting and for one command.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <exception cref="FormatException">Says what is wrong, never echoing the URL (it may hold a password).</exception>
    public static RedisEndpoint Parse(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("redis" or "rediss"))
            throw new FormatException("must start with redis:// or rediss://");
        if (uri.Host.Length == 0)
            throw new FormatException("has no host");
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
            throw new FormatException("has a query or fragment; options are not supported");
        var path = uri.AbsolutePath.Trim('/');
        var database = 0;
        if (path.Length > 0 && !int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database))
            throw new FormatException("has a path that is not a database number");
        var (user, password) = Credentials(uri.UserInfo);
        return new RedisEndpoint(uri.Host.Trim('[', ']'), uri.Port < 0 ? DefaultPort : uri.Port)
        {
            User = user,
            Password = password,
            Database = database,
            Tls = uri.Scheme == "rediss",
        };
    }

    /// <summary>
    /// Fail fast, never replay: while Redis is unreachable a command fails at once (no backlog to
    /// replay it later) and the caller falls back; the connection is re-established in the background.
    /// </summary>
    public ConfigurationOptions ToConfigurationOptions()
    {
        var milliseconds = (int)Timeout.TotalMilliseconds;
        var options = new ConfigurationOptions
        {
            EndPoints = { { Host, Port } },
            User = User,
            Password = Password,
            DefaultDatabase = Database,
            Ssl = Tls,
            AbortOnConnectFail = false,
            BacklogPolicy = BacklogPolicy.FailFast,
            ConnectRetry = 1,
            ConnectTimeout = milliseconds,
            SyncTimeout = milliseconds,
            AsyncTimeout = milliseconds,
            ReconnectRetryPolicy = new ExponentialRetry(deltaBackOffMilliseconds: 500, maxDeltaBackOffMilliseconds: 5000),
            ClientName = "slipway-api",
        };
        if (TrustedCa is not null)
            options.TrustIssuer(TrustedCa);
        return options;
    }

    /// <summary>The URL without its credentials: safe for logs and error messages.</summary>
    public override string ToString() =>
        $"{(Tls ? "rediss" : "redis")}://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}/{Database}";

    private static (string? User, string? Password) Credentials(string userInfo)
    {
        if (userInfo.Length == 0)
            return (null, null);
        var parts = userInfo.Split(':', 2);
        if (parts.Length == 1)
            throw new FormatException("names a user but no password; write redis://user:password@host, or redis://:password@host for a password alone");
        var user = Uri.UnescapeDataString(parts[0]);
        var password = Uri.UnescapeDataString(parts[1]);
        if (password.Length == 0)
            throw new FormatException("has an empty password");
        return (user.Length == 0 ? null : user, password);
    }
}
