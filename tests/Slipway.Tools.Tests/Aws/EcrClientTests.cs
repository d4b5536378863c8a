using System.Text.Json.Nodes;
using Amazon.Runtime;
using Slipway.Tools.Aws;

namespace Slipway.Tools.Tests.Aws;

// The ECR control plane cannot run here: FakeEcr replays ECR's JSON 1.1 wire format on 127.0.0.1 and verifies
// each request's SigV4 signature independently.
public sealed class EcrClientTests : IDisposable
{
    private static readonly ImmutableCredentials Valid = new(FakeEcr.AccessKeyId, FakeEcr.SecretAccessKey, null);
    private readonly FakeEcr ecr = new(registryPassword: "eyJwYXlsb2FkIjoiZXhhbXBsZSJ9");
    private readonly HttpClient http = new();

    private EcrClient Client(ImmutableCredentials credentials) => new(http, credentials, FakeEcr.Region, ecr.Url);

    [Fact]
    public async Task Get_authorization_token_decodes_the_registry_login()
    {
        var login = await Client(Valid).GetAuthorizationTokenAsync(CancellationToken.None);

        Assert.Equal(("AWS", "eyJwYXlsb2FkIjoiZXhhbXBsZSJ9"), (login.User, login.Password));
        Assert.Equal(new Uri($"https://{FakeEcr.Account}.dkr.ecr.{FakeEcr.Region}.amazonaws.com"), login.ProxyEndpoint);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1735689600), login.ExpiresAt);
        Assert.DoesNotContain(login.Password, login.ToString(), StringComparison.Ordinal);
        var request = Assert.Single(ecr.Requests);
        Assert.Equal("AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", request.Header("X-Amz-Target"));
        Assert.Equal("{}", request.Text);
    }

    [Fact]
    public async Task Ensure_repository_creates_an_immutable_scan_on_push_repository_once()
    {
        var client = Client(Valid);

        var created = await client.EnsureRepositoryAsync("slipway/api", CancellationToken.None);
        var again = await client.EnsureRepositoryAsync("slipway/api", CancellationToken.None);

        Assert.Equal(new EcrRepository("slipway/api", $"{FakeEcr.Account}.dkr.ecr.{FakeEcr.Region}.amazonaws.com/slipway/api", Created: true), created);
        Assert.Equal(new EcrRepository("slipway/api", null, Created: false), again);
        var body = JsonNode.Parse(ecr.Requests[0].Text)!;
        Assert.Equal("IMMUTABLE", body["imageTagMutability"]!.GetValue<string>());
        Assert.True(body["imageScanningConfiguration"]!["scanOnPush"]!.GetValue<bool>());
        Assert.Equal("AmazonEC2ContainerRegistry_V20150921.CreateRepository", ecr.Requests[0].Header("X-Amz-Target"));
    }

    [Fact]
    public async Task Temporary_credentials_send_their_session_token()
    {
        await Client(new ImmutableCredentials(FakeEcr.AccessKeyId, FakeEcr.SecretAccessKey, "FwoGZXIvYXdzEXAMPLE")).GetAuthorizationTokenAsync(CancellationToken.None);

        var request = Assert.Single(ecr.Requests);
        Assert.Equal("FwoGZXIvYXdzEXAMPLE", request.Header("X-Amz-Security-Token"));
        Assert.Contains("x-amz-security-token", request.Header("Authorization"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_secret_is_rejected_with_aws_error()
    {
        var error = await Assert.ThrowsAsync<EcrException>(
            () => Client(new ImmutableCredentials(FakeEcr.AccessKeyId, "not-the-secret", null)).GetAuthorizationTokenAsync(CancellationToken.None));

        Assert.Equal("InvalidSignatureException", error.ErrorType);
        Assert.StartsWith("ECR GetAuthorizationToken failed (403 InvalidSignatureException): The request signature we calculated does not match", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_named()
    {
        var closed = new Uri("http://127.0.0.1:9/");

        var error = await Assert.ThrowsAsync<EcrException>(
            () => new EcrClient(http, Valid, FakeEcr.Region, closed).GetAuthorizationTokenAsync(CancellationToken.None));

        Assert.StartsWith("ECR not reachable at http://127.0.0.1:9/: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_endpoint_is_the_regional_ecr_api() =>
        Assert.Equal(new Uri("https://api.ecr.eu-central-1.amazonaws.com/"), EcrClient.DefaultEndpoint("eu-central-1"));

    public void Dispose()
    {
        ecr.Dispose();
        http.Dispose();
    }
}
