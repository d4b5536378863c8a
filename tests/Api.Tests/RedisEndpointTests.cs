using Api.Redis;
using StackExchange.Redis;

namespace Api.Tests;

public class RedisEndpointTests
{
    [Fact]
    public void A_bare_url_is_host_port_database_0_without_credentials_or_tls()
    {
        var endpoint = RedisEndpoint.Parse("redis://cache");

        Assert.Equal(new RedisEndpoint("cache", 6379), endpoint);
        Assert.Null(endpoint.User);
        Assert.Null(endpoint.Password);
        Assert.Equal(0, endpoint.Database);
        Assert.False(endpoint.Tls);
    }

    [Fact]
    public void A_password_alone_is_decoded_and_the_path_is_the_database()
    {
        var endpoint = RedisEndpoint.Parse("redis://:p%40ss%3Aw%2Frd@cache.internal:6380/2");

        Assert.Equal(("cache.internal", 6380, null, "p@ss:w/rd", 2), (endpoint.Host, endpoint.Port, endpoint.User, endpoint.Password, endpoint.Database));
    }

    [Fact]
    public void An_elasticache_url_has_tls_an_acl_user_a_password_and_a_database()
    {
        var endpoint = RedisEndpoint.Parse("rediss://app:s3cr%23t@master.slipway.abc123.euw1.cache.amazonaws.com:6379/1");

        Assert.True(endpoint.Tls);
        Assert.Equal(("app", "s3cr#t", 1), (endpoint.User, endpoint.Password, endpoint.Database));
        Assert.Equal("rediss://master.slipway.abc123.euw1.cache.amazonaws.com:6379/1", endpoint.ToString());
    }

    [Fact]
    public void An_ipv6_host_loses_its_brackets_and_gets_them_back_in_the_url()
    {
        var endpoint = RedisEndpoint.Parse("redis://[::1]:6390");

        Assert.Equal("::1", endpoint.Host);
        Assert.Equal("redis://[::1]:6390/0", endpoint.ToString());
    }

    [Fact]
    public void The_configuration_fails_fast_and_never_queues_commands_while_disconnected()
    {
        var options = RedisEndpoint.Parse("rediss://app:hunter2-secret@cache:6390/4").ToConfigurationOptions();

        Assert.Equal(new System.Net.DnsEndPoint("cache", 6390), Assert.Single(options.EndPoints));
        Assert.Equal(("app", "hunter2-secret", 4, true), (options.User, options.Password, options.DefaultDatabase, options.Ssl));
        Assert.False(options.AbortOnConnectFail);
        Assert.Same(BacklogPolicy.FailFast, options.BacklogPolicy);
        Assert.Equal((2000, 2000, 2000), (options.ConnectTimeout, options.SyncTimeout, options.AsyncTimeout));
    }

    [Fact]
    public void Neither_the_endpoint_nor_the_library_configuration_string_shows_the_password()
    {
        var endpoint = RedisEndpoint.Parse("rediss://app:hunter2-secret@cache:6390/4");

        Assert.DoesNotContain("hunter2", endpoint.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", endpoint.ToConfigurationOptions().ToString(includePassword: false), StringComparison.Ordinal);
        Assert.Contains("hunter2", endpoint.ToConfigurationOptions().ToString(includePassword: true), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://cache:6379", "must start with redis:// or rediss://")]
    [InlineData("redis://app@cache:6379", "names a user but no password")]
    [InlineData("redis://app:@cache:6379", "has an empty password")]
    [InlineData("redis://cache:6379/cache", "has a path that is not a database number")]
    [InlineData("redis://cache:6379/-1", "has a path that is not a database number")]
    [InlineData("redis://cache:6379/0?ssl=true", "has a query or fragment")]
    public void A_malformed_url_says_what_is_wrong(string url, string reason)
    {
        var error = Assert.Throws<FormatException>(() => RedisEndpoint.Parse(url));

        Assert.StartsWith(reason, error.Message, StringComparison.Ordinal);
    }
}
