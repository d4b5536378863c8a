using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Slipway.Stack.Tests.Infrastructure;

namespace Slipway.Stack.Tests.Nginx;

/// <summary>The repository's nginx config, served by a real nginx: routing, redirect, headers, gzip, keepalive.</summary>
public sealed class EdgeRoutingTests(EdgeFixture edge) : IClassFixture<EdgeFixture>
{
    [ToolFact("nginx", "openssl")]
    public async Task Config_passes_nginx_t()
    {
        using var rendered = await NginxUnderTest.RenderAsync(upstreamPort: 9);

        Assert.True(rendered.ConfigTest.Succeeded, rendered.ConfigTest.Describe());
        Assert.Contains("test is successful", rendered.ConfigTest.StandardError, StringComparison.Ordinal);
    }

    [ToolFact("nginx", "openssl")]
    public async Task Nginx_t_rejects_a_broken_config()
    {
        // The same check must be able to fail: a directive nginx does not know.
        using var rendered = await NginxUnderTest.RenderAsync(9, ("snippets/tls.conf", "ssl_session_tickets off;", "ssl_session_tickets off; no_such_directive on;"));

        Assert.False(rendered.ConfigTest.Succeeded);
        Assert.Contains("no_such_directive", rendered.ConfigTest.StandardError, StringComparison.Ordinal);
    }

    [ToolFact("nginx", "openssl")]
    public async Task Plain_http_is_redirected_permanently_to_https_keeping_path_and_query()
    {
        using var response = await edge.Client.GetAsync(edge.Http("/users/list?page=2"));

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal(new Uri("https://localhost/users/list?page=2"), response.Headers.Location);
    }

    [ToolFact("nginx", "openssl")]
    public async Task Nginx_health_answers_on_both_ports_without_touching_the_upstream()
    {
        var before = edge.Upstream.Requests.Count;

        using var overHttp = await edge.Client.GetAsync(edge.Http("/nginx-health"));
        using var overHttps = await edge.Client.GetAsync(edge.Https("/nginx-health"));

        Assert.Equal(HttpStatusCode.OK, overHttp.StatusCode);
        Assert.Equal(HttpStatusCode.OK, overHttps.StatusCode);
        Assert.Equal("ok\n", await overHttps.Content.ReadAsStringAsync());
        Assert.Equal(before, edge.Upstream.Requests.Count);
    }

    [ToolFact("nginx", "openssl")]
    public async Task Root_path_serves_the_landing_page_from_disk()
    {
        using var response = await edge.Client.GetAsync(edge.Https("/"));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await File.ReadAllTextAsync(RepositoryRoot.Combine("nginx", "landing", "index.html")), html);
        Assert.DoesNotContain(edge.Upstream.Requests, r => r.Path == "/");
    }

    [ToolTheory("nginx", "openssl")]
    [InlineData("/health")]
    [InlineData("/version")]
    [InlineData("/api/users?page=1")]
    [InlineData("/api/app.js")]
    public async Task Api_paths_are_proxied_to_the_upstream_with_forwarding_headers(string path)
    {
        using var response = await edge.Client.GetAsync(edge.Https(path));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(body.RootElement.TryGetProperty("version", out _) || body.RootElement.GetProperty("path").GetString() == path.Split('?')[0]);
        var seen = Assert.Single(edge.Upstream.RequestsTo(path));
        Assert.Equal("https", seen.ForwardedProto);
        Assert.Equal("127.0.0.1", seen.RealIp);
        Assert.Equal("localhost", seen.Host);
    }

    [ToolFact("nginx", "openssl")]
    public async Task Api_host_name_sends_every_path_to_the_upstream()
    {
        var path = $"/?probe={Guid.NewGuid():N}";

        using var byHost = await edge.Client.GetAsync(edge.Https(path, host: "api.localhost"));

        Assert.Equal(HttpStatusCode.OK, byHost.StatusCode);
        var seen = Assert.Single(edge.Upstream.RequestsTo(path));
        Assert.Equal("api.localhost", seen.Host);
        using var body = JsonDocument.Parse(await byHost.Content.ReadAsStringAsync());
        Assert.Equal("/", body.RootElement.GetProperty("path").GetString());
    }

    [ToolTheory("nginx", "openssl")]
    [InlineData("localhost", "/")]
    [InlineData("localhost", "/health")]
    [InlineData("localhost", "/no-such-page")]
    [InlineData("api.localhost", "/health")]
    public async Task Https_responses_carry_hsts_and_the_security_headers(string host, string path)
    {
        using var response = await edge.Client.GetAsync(edge.Https(path, host));

        var hsts = Header(response, "Strict-Transport-Security");
        var maxAge = long.Parse(hsts.Split(';')[0].Replace("max-age=", "", StringComparison.Ordinal).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(maxAge >= 31_536_000, $"HSTS max-age {maxAge} is under a year");
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.Equal("strict-origin-when-cross-origin", Header(response, "Referrer-Policy"));
        var csp = Header(response, "Content-Security-Policy");
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Server") && Header(response, "Server").Contains('/', StringComparison.Ordinal), "nginx must not reveal its version");
    }

    [ToolFact("nginx", "openssl")]
    public async Task Plain_http_does_not_send_hsts()
    {
        using var response = await edge.Client.GetAsync(edge.Http("/"));

        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [ToolFact("nginx", "openssl")]
    public async Task Https_negotiates_http2()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, edge.Https("/")) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var response = await edge.Client.SendAsync(request);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [ToolTheory("nginx", "openssl")]
    [InlineData("/app.js", "application/javascript")]
    [InlineData("/style.css", "text/css")]
    [InlineData("/api/large", "application/json")]
    public async Task Text_responses_are_gzipped_when_the_client_accepts_it(string path, string mediaType)
    {
        using var gzipped = new HttpRequestMessage(HttpMethod.Get, edge.Https(path));
        gzipped.Headers.AcceptEncoding.ParseAdd("gzip");
        using var plain = new HttpRequestMessage(HttpMethod.Get, edge.Https(path));

        using var compressedResponse = await edge.Client.SendAsync(gzipped);
        using var plainResponse = await edge.Client.SendAsync(plain);

        Assert.Equal(mediaType, compressedResponse.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["gzip"], compressedResponse.Content.Headers.ContentEncoding);
        Assert.Empty(plainResponse.Content.Headers.ContentEncoding);
        var expected = await plainResponse.Content.ReadAsByteArrayAsync();
        var zipped = await compressedResponse.Content.ReadAsByteArrayAsync();
        await using var unzip = new GZipStream(new MemoryStream(zipped), CompressionMode.Decompress);
        using var unzipped = new MemoryStream();
        await unzip.CopyToAsync(unzipped);
        Assert.Equal(expected, unzipped.ToArray());
        Assert.True(zipped.Length < expected.Length, $"gzip made {expected.Length} bytes into {zipped.Length}");
    }

    [ToolFact("nginx", "openssl")]
    public async Task Upstream_connections_are_kept_alive_and_reused()
    {
        var path = $"/api/keepalive-{Guid.NewGuid():N}";

        for (var i = 0; i < 20; i++)
        {
            using var response = await edge.Client.GetAsync(edge.Https(path));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Without `keepalive` and an empty Connection header nginx would open one connection per request.
        var connections = edge.Upstream.RequestsTo(path).Select(r => r.ConnectionId).Distinct().Count();
        Assert.InRange(connections, 1, 4);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values)
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(", ", contentValues)
        : throw new Xunit.Sdk.XunitException($"{(int)response.StatusCode} {response.RequestMessage?.RequestUri} has no {name} header");
}
