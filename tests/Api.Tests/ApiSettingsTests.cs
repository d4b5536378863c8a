using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Api.Configuration;
using Npgsql;

namespace Api.Tests;

public class ApiSettingsTests
{
    private static ApiSettings Load(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return ApiSettings.Load(name => map.GetValueOrDefault(name));
    }

    [Fact]
    public void Database_url_becomes_an_npgsql_connection_string_with_decoded_credentials()
    {
        var settings = Load(("DATABASE_URL", "postgres://app:p%40ss%3Aword@db.internal:6543/slipway?sslmode=require"), ("REDIS_URL", "redis://cache:6380"));

        var builder = new NpgsqlConnectionStringBuilder(settings.DatabaseConnectionString);
        Assert.Equal("db.internal", builder.Host);
        Assert.Equal(6543, builder.Port);
        Assert.Equal("slipway", builder.Database);
        Assert.Equal("app", builder.Username);
        Assert.Equal("p@ss:word", builder.Password);
        Assert.Equal(SslMode.Require, builder.SslMode);
        Assert.Equal(new Api.Redis.RedisEndpoint("cache", 6380), settings.Redis);
        Assert.Null(settings.Port);
        Assert.False(settings.EnableTestEndpoints);
    }

    [Fact]
    public void Default_ports_are_5432_and_6379()
    {
        var settings = Load(("DATABASE_URL", "postgresql://app@db/slipway"), ("REDIS_URL", "redis://cache"));

        Assert.Equal(5432, new NpgsqlConnectionStringBuilder(settings.DatabaseConnectionString).Port);
        Assert.Equal(6379, settings.Redis.Port);
    }

    [Fact]
    public void Every_missing_variable_is_reported_at_once()
    {
        var error = Assert.Throws<InvalidSettingsException>(() => Load());

        Assert.Equal(2, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.StartsWith("DATABASE_URL is not set; expected postgres://", StringComparison.Ordinal));
        Assert.Contains("REDIS_URL is not set; expected redis://[user:password@]host[:port][/db], or rediss:// for TLS", error.Problems);
    }

    [Theory]
    [InlineData("mysql://u:p@h/db", "must start with postgres://")]
    [InlineData("postgres://u:p@h", "must name one database")]
    [InlineData("postgres://h/db", "has no user name")]
    [InlineData("postgres://u:p@h/db?application_name=x", "only sslmode is supported")]
    [InlineData("postgres://u:p@h/db?sslmode=sometimes", "has sslmode 'sometimes'")]
    [InlineData("not a url", "must start with postgres://")]
    public void A_malformed_database_url_is_named_without_echoing_the_secret(string url, string reason)
    {
        var error = Assert.Throws<InvalidSettingsException>(() => Load(("DATABASE_URL", url), ("REDIS_URL", "redis://127.0.0.1:6379")));

        var problem = Assert.Single(error.Problems);
        Assert.StartsWith("DATABASE_URL is malformed: it ", problem, StringComparison.Ordinal);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
        Assert.DoesNotContain(url, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://cache:6379", "must start with redis:// or rediss://")]
    [InlineData("redis://app@cache:6379", "names a user but no password")]
    [InlineData("redis://:secret-pw@cache:6379/db", "has a path that is not a database number")]
    public void A_malformed_redis_url_is_named_without_echoing_it(string url, string reason)
    {
        var error = Assert.Throws<InvalidSettingsException>(() => Load(("DATABASE_URL", "postgres://u:p@h/db"), ("REDIS_URL", url)));

        var problem = Assert.Single(error.Problems);
        Assert.StartsWith($"REDIS_URL is malformed: it {reason}", problem, StringComparison.Ordinal);
        Assert.DoesNotContain(url, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Redis_ca_file_is_loaded_as_the_trusted_issuer_for_rediss()
    {
        using var ca = SelfSignedCa();
        var path = Path.Combine(Directory.CreateTempSubdirectory("slipway-ca-").FullName, "ca.crt");
        File.WriteAllText(path, ca.ExportCertificatePem());
        try
        {
            var settings = Load(("DATABASE_URL", "postgres://u:p@h/db"), ("REDIS_URL", "rediss://cache"), ("REDIS_CA_FILE", path));

            Assert.Equal(ca.Thumbprint, settings.Redis.TrustedCa?.Thumbprint);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Theory]
    [InlineData("redis://cache", "/etc/hostname", "REDIS_CA_FILE is set but REDIS_URL is not rediss://")]
    [InlineData("rediss://cache", "/nonexistent/ca.crt", "REDIS_CA_FILE is '/nonexistent/ca.crt', which is not a readable PEM or DER certificate")]
    [InlineData("rediss://cache", "/etc/hostname", "REDIS_CA_FILE is '/etc/hostname', which is not a readable PEM or DER certificate")]
    public void A_redis_ca_file_that_cannot_apply_is_named(string url, string caFile, string problem)
    {
        var error = Assert.Throws<InvalidSettingsException>(() => Load(("DATABASE_URL", "postgres://u:p@h/db"), ("REDIS_URL", url), ("REDIS_CA_FILE", caFile)));

        Assert.StartsWith(problem, Assert.Single(error.Problems), StringComparison.Ordinal);
    }

    private static X509Certificate2 SelfSignedCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Slipway settings test CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("http")]
    public void Port_must_be_a_tcp_port(string port)
    {
        var error = Assert.Throws<InvalidSettingsException>(() => Load(("DATABASE_URL", "postgres://u:p@h/db"), ("REDIS_URL", "redis://h"), ("PORT", port)));

        Assert.Equal($"PORT is '{port}', expected a TCP port number between 1 and 65535", Assert.Single(error.Problems));
    }

    [Fact]
    public void Port_and_test_endpoints_are_read_when_set()
    {
        var settings = Load(("DATABASE_URL", "postgres://u:p@h/db"), ("REDIS_URL", "redis://h"), ("PORT", "9090"), ("API_ENABLE_TEST_ENDPOINTS", "1"));

        Assert.Equal(9090, settings.Port);
        Assert.True(settings.EnableTestEndpoints);
    }
}
