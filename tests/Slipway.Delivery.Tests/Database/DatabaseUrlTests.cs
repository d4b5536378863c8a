using Npgsql;
using Slipway.Migrations;

namespace Slipway.Delivery.Tests.Database;

public sealed class DatabaseUrlTests
{
    [Fact]
    public void Parses_the_DATABASE_URL_form_into_an_Npgsql_connection_string()
    {
        var url = DatabaseUrl.Parse("postgres://app%40prod:p%40ss%3Aw%2Frd@db.internal:6543/slipway?sslmode=require");

        var builder = new NpgsqlConnectionStringBuilder(url.ToConnectionString("slipway-migrator"));

        Assert.Equal(("db.internal", 6543, "slipway", "app@prod"), (builder.Host, builder.Port, builder.Database, builder.Username));
        Assert.Equal("p@ss:w/rd", builder.Password);
        Assert.Equal(SslMode.Require, builder.SslMode);
        Assert.Equal("slipway-migrator", builder.ApplicationName);
        Assert.False(builder.Pooling);
        Assert.Equal("app@prod@db.internal:6543/slipway", url.ToString());
    }

    [Fact]
    public void Defaults_to_port_5432_and_accepts_the_postgresql_scheme()
    {
        var url = DatabaseUrl.Parse("postgresql://slipway:secret@127.0.0.1/slipway");

        Assert.Equal(5432, url.Port);
        Assert.Null(url.SslMode);
        Assert.Equal("slipway@127.0.0.1:5432/slipway", url.ToString());
    }

    [Fact]
    public void Scrub_masks_the_password_in_driver_or_server_text()
    {
        var url = DatabaseUrl.Parse("postgres://slipway:s3cr3t-pw@127.0.0.1:5432/slipway");

        Assert.Equal("invalid input \"***\"", url.Scrub("invalid input \"s3cr3t-pw\""));
    }

    [Theory]
    [InlineData("not a url s3cr3t-pw", "database URL is not a valid URL (expected postgres://user:password@host:port/database; percent-encode special characters in the password)")]
    [InlineData("mysql://u:s3cr3t-pw@h/db", "database URL has scheme 'mysql' (expected postgres://user:password@host:port/database)")]
    [InlineData("postgres://:s3cr3t-pw@h/db", "database URL for h has no user name (expected postgres://user:password@host:port/database)")]
    [InlineData("postgres://u:s3cr3t-pw@h:5432/", "database URL for u@h must name exactly one database after the port (expected postgres://user:password@host:port/database)")]
    [InlineData("postgres://u:s3cr3t-pw@h:5432/a/b", "database URL for u@h must name exactly one database after the port (expected postgres://user:password@host:port/database)")]
    [InlineData("postgres://u:s3cr3t-pw@h/db?password=s3cr3t-pw", "database URL parameter 'password' is not supported (only sslmode is)")]
    [InlineData("postgres://u:s3cr3t-pw@h/db?sslmode=always", "database URL sslmode 'always' is not one of disable, allow, prefer, require, verify-ca, verify-full")]
    public void A_malformed_url_is_one_clear_line_without_the_password(string input, string expected)
    {
        var failure = Assert.Throws<DatabaseUrlException>(() => DatabaseUrl.Parse(input));

        Assert.Equal(expected, failure.Message);
        Assert.DoesNotContain("s3cr3t", failure.Message, StringComparison.Ordinal);
    }
}
