using System.Globalization;
using Api.Redis;
using Npgsql;

namespace Api.Configuration;

/// <summary>Everything the service reads from its environment, parsed and validated.</summary>
public sealed record ApiSettings(
    string DatabaseConnectionString,
    RedisEndpoint Redis,
    int? Port,
    bool EnableTestEndpoints)
{
    public const string DatabaseUrlVariable = "DATABASE_URL";
    public const string RedisUrlVariable = "REDIS_URL";
    public const string PortVariable = "PORT";
    public const string TestEndpointsVariable = "API_ENABLE_TEST_ENDPOINTS";

    /// <summary>Reads the settings through <paramref name="variable"/> (an environment lookup).</summary>
    /// <exception cref="InvalidSettingsException">One message per missing or malformed variable.</exception>
    public static ApiSettings Load(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        var problems = new List<string>();
        var database = Required(variable, DatabaseUrlVariable, "postgres://user:password@host:5432/database", problems, ParseDatabaseUrl);
        var redis = Required(variable, RedisUrlVariable, "redis://host:6379", problems, ParseRedisUrl);
        int? port = null;
        if (variable(PortVariable) is { Length: > 0 } portText)
        {
            if (int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is > 0 and < 65536)
                port = value;
            else
                problems.Add($"{PortVariable} is '{portText}', expected a TCP port number between 1 and 65535");
        }

        var testEndpoints = variable(TestEndpointsVariable) == "1";
        if (problems.Count > 0)
            throw new InvalidSettingsException(problems);
        return new ApiSettings(database!, redis!, port, testEndpoints);
    }

    /// <summary>Turns postgres://user:password@host:port/database[?sslmode=...] into an Npgsql connection string.</summary>
    public static string ParseDatabaseUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql"))
            throw new FormatException("must start with postgres:// or postgresql://");
        if (uri.Host.Length == 0)
            throw new FormatException("has no host");
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0 || database.Contains('/', StringComparison.Ordinal))
            throw new FormatException("must name one database in its path, e.g. /slipway");
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length == 0)
            throw new FormatException("has no user name");
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = database,
            Username = Uri.UnescapeDataString(userInfo[0]),
            Timeout = 5,
        };
        if (userInfo.Length == 2)
            builder.Password = Uri.UnescapeDataString(userInfo[1]);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = pair.Split('=', 2) is [var k, var v] ? (k, Uri.UnescapeDataString(v)) : (pair, "");
            if (key != "sslmode")
                throw new FormatException($"has the query parameter '{key}'; only sslmode is supported");
            builder.SslMode = Enum.TryParse<SslMode>(value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var mode)
                ? mode
                : throw new FormatException($"has sslmode '{value}'; expected disable, prefer, require, verify-ca or verify-full");
        }

        return builder.ConnectionString;
    }

    /// <summary>Parses redis://host[:port].</summary>
    public static RedisEndpoint ParseRedisUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "redis")
            throw new FormatException("must start with redis://");
        if (uri.Host.Length == 0)
            throw new FormatException("has no host");
        if (uri.UserInfo.Length > 0 || uri.AbsolutePath is not ("/" or "") || uri.Query.Length > 0)
            throw new FormatException("must be just redis://host:port (credentials, database numbers and options are not supported)");
        return new RedisEndpoint(uri.Host.Trim('[', ']'), uri.Port < 0 ? 6379 : uri.Port);
    }

    private static T? Required<T>(Func<string, string?> variable, string name, string example, List<string> problems, Func<string, T> parse)
        where T : class
    {
        var value = variable(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add($"{name} is not set; expected {example}");
            return null;
        }

        try
        {
            return parse(value.Trim());
        }
        catch (FormatException e)
        {
            // The value may hold a password, so it is never echoed back.
            problems.Add($"{name} is malformed: it {e.Message}; expected {example}");
            return null;
        }
    }
}
