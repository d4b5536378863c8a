using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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
    public const string RedisCaFileVariable = "REDIS_CA_FILE";
    public const string PortVariable = "PORT";
    public const string TestEndpointsVariable = "API_ENABLE_TEST_ENDPOINTS";

    private const string RedisUrlForms = "redis://[user:password@]host[:port][/db], or rediss:// for TLS";

    /// <summary>Reads the settings through <paramref name="variable"/> (an environment lookup).</summary>
    /// <exception cref="InvalidSettingsException">One message per missing or malformed variable.</exception>
    public static ApiSettings Load(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        var problems = new List<string>();
        var database = Required(variable, DatabaseUrlVariable, "postgres://user:password@host:5432/database", problems, ParseDatabaseUrl);
        var redis = Required(variable, RedisUrlVariable, RedisUrlForms, problems, RedisEndpoint.Parse);
        if (variable(RedisCaFileVariable) is { Length: > 0 } caFile && redis is not null)
            redis = WithTrustedCa(redis, caFile, problems);
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

    private static RedisEndpoint? WithTrustedCa(RedisEndpoint redis, string caFile, List<string> problems)
    {
        if (!redis.Tls)
        {
            problems.Add($"{RedisCaFileVariable} is set but {RedisUrlVariable} is not rediss://; use rediss:// or unset {RedisCaFileVariable}");
            return null;
        }

        try
        {
            return redis with { TrustedCa = X509CertificateLoader.LoadCertificateFromFile(caFile) };
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            problems.Add($"{RedisCaFileVariable} is '{caFile}', which is not a readable PEM or DER certificate: {e.Message}");
            return null;
        }
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
