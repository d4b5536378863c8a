using Npgsql;

namespace Slipway.Migrations;

/// <summary>
/// A PostgreSQL location in the DATABASE_URL form the app uses: postgres://user:password@host:port/database.
/// <see cref="ToString"/> and every message leave the password out; only <see cref="ToConnectionString"/> carries it.
/// </summary>
public sealed class DatabaseUrl
{
    private const string Expected = "expected postgres://user:password@host:port/database";

    private readonly string? password;

    private DatabaseUrl(string host, int port, string database, string username, string? password, SslMode? sslMode)
    {
        Host = host;
        Port = port;
        Database = database;
        Username = username;
        this.password = password;
        SslMode = sslMode;
    }

    public string Host { get; }

    public int Port { get; }

    public string Database { get; }

    public string Username { get; }

    public SslMode? SslMode { get; }

    /// <summary>Parses a postgres:// or postgresql:// URL; the only query parameter understood is sslmode.</summary>
    /// <exception cref="DatabaseUrlException">The URL is malformed; the message never contains the password.</exception>
    public static DatabaseUrl Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri))
            throw new DatabaseUrlException($"database URL is not a valid URL ({Expected}; percent-encode special characters in the password)");
        if (uri.Scheme is not ("postgres" or "postgresql"))
            throw new DatabaseUrlException($"database URL has scheme '{uri.Scheme}' ({Expected})");
        if (uri.Host.Length == 0)
            throw new DatabaseUrlException($"database URL has no host ({Expected})");

        var userInfo = uri.UserInfo;
        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        var username = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
        var password = colon < 0 ? null : Uri.UnescapeDataString(userInfo[(colon + 1)..]);
        if (username.Length == 0)
            throw new DatabaseUrlException($"database URL for {uri.Host} has no user name ({Expected})");

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0 || database.Contains('/', StringComparison.Ordinal))
            throw new DatabaseUrlException($"database URL for {username}@{uri.Host} must name exactly one database after the port ({Expected})");

        return new DatabaseUrl(uri.Host, uri.IsDefaultPort ? 5432 : uri.Port, database, username, password, ParseSslMode(uri.Query));
    }

    /// <summary>The Npgsql connection string, password included: pass it to Npgsql only, never to a log.</summary>
    public string ToConnectionString(string applicationName)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = Database,
            Username = Username,
            Password = password,
            ApplicationName = applicationName,
            PersistSecurityInfo = false,
            // One session per connection object: session-level advisory locks must end with the connection.
            Pooling = false,
            // The URL carries a password; Npgsql would otherwise try Kerberos encryption first, which needs
            // libgssapi (missing from slim images, where the runtime prints an error on every connection).
            GssEncryptionMode = GssEncryptionMode.Disable,
        };
        if (SslMode is { } mode)
            builder.SslMode = mode;
        return builder.ConnectionString;
    }

    /// <summary>Replaces the password wherever it occurs in <paramref name="text"/> (for messages from the server or driver).</summary>
    public string Scrub(string text) =>
        string.IsNullOrEmpty(password) ? text : text.Replace(password, "***", StringComparison.Ordinal);

    /// <summary>user@host:port/database, without the password.</summary>
    public override string ToString() => $"{Username}@{Host}:{Port}/{Database}";

    private static SslMode? ParseSslMode(string query)
    {
        SslMode? result = null;
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            var name = Uri.UnescapeDataString(parts[0]);
            var value = parts.Length == 2 ? Uri.UnescapeDataString(parts[1]) : "";
            if (name != "sslmode")
                throw new DatabaseUrlException($"database URL parameter '{name}' is not supported (only sslmode is)");
            result = value switch
            {
                "disable" => Npgsql.SslMode.Disable,
                "allow" => Npgsql.SslMode.Allow,
                "prefer" => Npgsql.SslMode.Prefer,
                "require" => Npgsql.SslMode.Require,
                "verify-ca" => Npgsql.SslMode.VerifyCA,
                "verify-full" => Npgsql.SslMode.VerifyFull,
                _ => throw new DatabaseUrlException($"database URL sslmode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full"),
            };
        }

        return result;
    }
}

/// <summary>A malformed database URL. The message names what is wrong and never contains the password.</summary>
public sealed class DatabaseUrlException : FormatException
{
    public DatabaseUrlException(string message)
        : base(message)
    {
    }
}
