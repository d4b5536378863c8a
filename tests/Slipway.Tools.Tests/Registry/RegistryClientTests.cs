using System.Text;
using Slipway.Tools.Registry;
using Slipway.Tools.Tests.Aws;

namespace Slipway.Tools.Tests.Registry;

public sealed class RegistryClientTests : IDisposable
{
    private readonly HttpClient http = new();
    private readonly RegistryClient client;

    public RegistryClientTests() => client = new RegistryClient(http);

    private static RegistryCredentials RealLogin => new(RealServers.Registry!, RealServers.RegistryUser!, RealServers.RegistryPassword!);

    private static ImageReference RealImage(string tag) => new(RealServers.Registry!, "slipway-test/registry-client", tag);

    // The real registry (Debian's docker-registry with htpasswd, started by .ci/run), an image pushed by skopeo,
    // and the digest read three ways: known locally, from our client, and from skopeo inspect.
    [RegistryFact]
    public async Task Reads_the_digest_of_a_pushed_tag_with_basic_auth_and_skopeo_agrees()
    {
        var tag = "t" + Guid.NewGuid().ToString("N")[..12];
        using var image = new OciTestImage(tag);
        await image.PushAsync(RealImage(tag), RealLogin, CancellationToken.None);

        var digest = await client.GetManifestDigestAsync(RealImage(tag), RealLogin, CancellationToken.None);
        var skopeo = await new SkopeoInspector().GetDigestAsync(RealImage(tag), RealLogin, CancellationToken.None);

        Assert.Equal(image.ManifestDigest, digest);
        Assert.Equal(image.ManifestDigest, skopeo);
    }

    [RegistryFact]
    public async Task A_tag_that_does_not_exist_has_no_digest() =>
        Assert.Null(await client.GetManifestDigestAsync(RealImage("never-pushed-" + Guid.NewGuid().ToString("N")), RealLogin, CancellationToken.None));

    [RegistryFact]
    public async Task A_wrong_password_is_refused_with_the_user_named_and_no_password()
    {
        var wrong = RealLogin with { Password = "wrong-password-123" };

        var error = await Assert.ThrowsAsync<RegistryAuthenticationException>(
            () => client.GetManifestDigestAsync(RealImage("latest"), wrong, CancellationToken.None));

        Assert.Equal($"registry {RealServers.Registry} rejected the credentials of user '{RealServers.RegistryUser}' for slipway-test/registry-client", error.Message);
        Assert.DoesNotContain("wrong-password-123", error.Message, StringComparison.Ordinal);
    }

    [RegistryFact]
    public async Task No_credentials_for_a_registry_that_needs_them_is_one_clear_line()
    {
        var error = await Assert.ThrowsAsync<RegistryAuthenticationException>(
            () => client.GetManifestDigestAsync(RealImage("latest"), null, CancellationToken.None));

        Assert.Equal($"registry {RealServers.Registry} requires a login for slipway-test/registry-client: give registry credentials", error.Message);
    }

    [RegistryFact]
    public async Task Skopeo_reports_a_wrong_password_without_echoing_it()
    {
        var error = await Assert.ThrowsAsync<RegistryException>(
            () => new SkopeoInspector().GetDigestAsync(RealImage("latest"), RealLogin with { Password = "wrong-password-456" }, CancellationToken.None));

        Assert.StartsWith($"skopeo inspect {RealServers.Registry}/slipway-test/registry-client:latest failed: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password-456", error.Message, StringComparison.Ordinal);
    }

    // Token-auth registries (Docker Hub, GHCR, Harbor) cannot run here: a fake on 127.0.0.1 replays the
    // distribution spec's token flow: 401 + WWW-Authenticate: Bearer realm/service/scope, a token endpoint that
    // takes Basic auth and answers {"token": ...}, then the manifest HEAD with the bearer token.
    [Fact]
    public async Task Follows_a_bearer_token_challenge()
    {
        const string digest = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";
        var login = new RegistryCredentials("127.0.0.1", "robot$ci", "robot-secret");
        LoopbackHttpServer? registry = null;
        registry = new LoopbackHttpServer(request =>
        {
            if (request.RawUrl.StartsWith("/token?", StringComparison.Ordinal))
            {
                var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("robot$ci:robot-secret"));
                return request.Header("Authorization") == basic && request.RawUrl == "/token?service=registry.test&scope=repository%3Aslipway%2Fapi%3Apull"
                    ? new Reply(200, "application/json", """{"token":"tok-123","access_token":"tok-123","expires_in":300,"issued_at":"2025-01-14T09:00:00Z"}""")
                    : new Reply(401, "application/json", """{"details":"incorrect username or password"}""");
            }

            if (request.Header("Authorization") == "Bearer tok-123")
                return new Reply(200, "application/vnd.oci.image.manifest.v1+json", "", new Dictionary<string, string> { ["Docker-Content-Digest"] = digest });
            return new Reply(401, "application/json", """{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}""", new Dictionary<string, string>
            {
                ["WWW-Authenticate"] = $"Bearer realm=\"{registry!.Url}token\",service=\"registry.test\",scope=\"repository:slipway/api:pull\"",
            });
        });
        using var _ = registry;
        var image = new ImageReference(registry.Url.Authority, "slipway/api", "1.4.0");

        Assert.Equal(digest, await client.GetManifestDigestAsync(image, login, CancellationToken.None));
        var manifestRequest = registry.Requests[0];
        Assert.Equal("HEAD", manifestRequest.Method);
        Assert.Contains("application/vnd.oci.image.index.v1+json", manifestRequest.Header("Accept"), StringComparison.Ordinal);
        Assert.Contains("application/vnd.docker.distribution.manifest.v2+json", manifestRequest.Header("Accept"), StringComparison.Ordinal);

        var refused = await Assert.ThrowsAsync<RegistryAuthenticationException>(
            () => client.GetManifestDigestAsync(image, login with { Password = "nope" }, CancellationToken.None));
        Assert.Equal($"registry token service {registry.Url}token refused the credentials of user 'robot$ci' to slipway/api", refused.Message);
    }

    [Fact]
    public async Task Without_a_digest_header_the_digest_is_the_hash_of_the_manifest()
    {
        const string manifest = """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}""";
        using var registry = new LoopbackHttpServer(_ => new Reply(200, "application/vnd.oci.image.manifest.v1+json", manifest));

        var digest = await client.GetManifestDigestAsync(new ImageReference(registry.Url.Authority, "a/b", "c"), null, CancellationToken.None);

        Assert.Equal("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(manifest))), digest);
        Assert.Equal(["HEAD", "GET"], registry.Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task An_unreachable_registry_is_named()
    {
        var error = await Assert.ThrowsAsync<RegistryException>(
            () => client.GetManifestDigestAsync(new ImageReference("127.0.0.1:9", "a/b", "c"), null, CancellationToken.None));

        Assert.StartsWith("registry not reachable at http://127.0.0.1:9: ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:5000", "http://127.0.0.1:5000/")]
    [InlineData("localhost:5000", "http://localhost:5000/")]
    [InlineData("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/")]
    [InlineData("https://123456789012.dkr.ecr.eu-west-1.amazonaws.com", "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/")]
    public void Loopback_registries_are_plain_http_and_others_https(string server, string expected) =>
        Assert.Equal(new Uri(expected), ImageReference.RegistryBaseUri(server));

    [Fact]
    public void Credentials_mask_the_password() =>
        Assert.Equal("AWS:****@127.0.0.1:5000", new RegistryCredentials("127.0.0.1:5000", "AWS", "s3cret").ToString());

    public void Dispose() => http.Dispose();
}
