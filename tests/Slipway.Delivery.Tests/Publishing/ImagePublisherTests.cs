using Amazon.Runtime;
using Slipway.Delivery.Publishing;
using Slipway.Tools.Registry;

namespace Slipway.Delivery.Tests.Publishing;

// Pushes go to the real registry started by .ci/run (htpasswd auth, user AWS, as ECR's registries use) and
// are checked by the publisher with our registry client and here with skopeo inspect, an independent client.
public sealed class ImagePublisherTests : IDisposable
{
    private readonly HttpClient http = new();
    private readonly List<string> log = [];

    private static RegistryCredentials RealLogin => new(RealServers.Registry!, RealServers.RegistryUser!, RealServers.RegistryPassword!);

    private static string UniqueTag() => "v1.0.0-" + Guid.NewGuid().ToString("N")[..10];

    private ImagePublisher Publisher(IImagePusher pusher, AWSCredentials? aws = null) =>
        new(new RegistryLogin(http, aws), pusher, new RegistryClient(http));

    [RegistryFact]
    public async Task Pushes_to_a_basic_auth_registry_and_verifies_the_digest()
    {
        var tag = UniqueTag();
        var pusher = new SkopeoTestPusher();

        var result = await Publisher(pusher).PublishAsync(
            new BasicAuthRegistryTarget(RealLogin), [new ImageToPublish("slipway-test/publish-api", tag), new ImageToPublish("slipway-test/publish-web", tag)],
            log.Add, CancellationToken.None);

        Assert.Equal(RealServers.Registry, result.Registry);
        Assert.Equal([$"{RealServers.Registry}/slipway-test/publish-api:{tag}", $"{RealServers.Registry}/slipway-test/publish-web:{tag}"], result.Images.Select(i => i.Reference));
        foreach (var (image, repository) in result.Images.Zip(["slipway-test/publish-api", "slipway-test/publish-web"]))
        {
            var independent = await new SkopeoInspector().GetDigestAsync(new ImageReference(RealServers.Registry!, repository, tag), RealLogin, CancellationToken.None);
            Assert.Equal(independent, image.Digest);
            Assert.False(image.RepositoryCreated);
        }

        Assert.Contains($"{RealServers.Registry}/slipway-test/publish-api:{tag} verified: {result.Images[0].Digest}", log);
        Assert.DoesNotContain(log, line => line.Contains(RealServers.RegistryPassword!, StringComparison.Ordinal));
    }

    // ECR's control plane is faked (FakeEcrControlPlane, real wire format); its authorization token logs in to
    // the real registry, so the login, push and digest check run exactly as they would against ECR.
    [RegistryFact]
    public async Task Pushes_to_ecr_creating_immutable_scan_on_push_repositories_once()
    {
        using var ecr = new FakeEcrControlPlane(RealServers.RegistryUser!, RealServers.RegistryPassword!, $"http://{RealServers.Registry}");
        var aws = new BasicAWSCredentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        var target = new EcrRegistryTarget("eu-west-1", "123456789012", ecr.Url);
        var repository = "slipway-test/ecr-api-" + Guid.NewGuid().ToString("N")[..8];

        var first = await Publisher(new SkopeoTestPusher(), aws).PublishAsync(target, [new ImageToPublish(repository, UniqueTag())], log.Add, CancellationToken.None);
        var second = await Publisher(new SkopeoTestPusher(), aws).PublishAsync(target, [new ImageToPublish(repository, UniqueTag())], log.Add, CancellationToken.None);

        Assert.True(first.Images[0].RepositoryCreated);
        Assert.False(second.Images[0].RepositoryCreated);
        Assert.All(ecr.CreateRepositoryRequests, request =>
        {
            Assert.Equal(repository, request["repositoryName"]!.GetValue<string>());
            Assert.Equal("IMMUTABLE", request["imageTagMutability"]!.GetValue<string>());
            Assert.True(request["imageScanningConfiguration"]!["scanOnPush"]!.GetValue<bool>());
        });
        Assert.Contains("AWS credentials ****MPLE from given credentials", log);
        Assert.Contains($"created ECR repository {repository} (immutable tags, scan on push)", log);
        Assert.DoesNotContain(log, line => line.Contains("wJalrXUtnFEMI", StringComparison.Ordinal) || line.Contains(RealServers.RegistryPassword!, StringComparison.Ordinal));
    }

    [RegistryFact]
    public async Task A_registry_digest_that_differs_from_the_pushed_one_fails_clearly()
    {
        var tag = UniqueTag();
        var pusher = new SkopeoTestPusher(_ => "sha256:" + new string('a', 64));

        var error = await Assert.ThrowsAsync<ImageDigestMismatchException>(() => Publisher(pusher).PublishAsync(
            new BasicAuthRegistryTarget(RealLogin), [new ImageToPublish("slipway-test/publish-mismatch", tag)], log.Add, CancellationToken.None));

        Assert.StartsWith($"digest mismatch for {RealServers.Registry}/slipway-test/publish-mismatch:{tag}: the registry has sha256:", error.Message, StringComparison.Ordinal);
        Assert.Contains($"but the pushed image is sha256:{new string('a', 64)}", error.Message, StringComparison.Ordinal);
    }

    [RegistryFact]
    public async Task A_push_that_left_nothing_in_the_registry_is_reported()
    {
        var tag = UniqueTag();

        var error = await Assert.ThrowsAsync<DeliveryException>(() => Publisher(new NoOpPusher()).PublishAsync(
            new BasicAuthRegistryTarget(RealLogin), [new ImageToPublish("slipway-test/publish-missing", tag)], log.Add, CancellationToken.None));

        Assert.Equal($"{RealServers.Registry}/slipway-test/publish-missing:{tag} is not in the registry after the push: check the push log above", error.Message);
    }

    [Fact]
    public async Task Ecr_without_aws_credentials_fails_with_one_line_before_pushing()
    {
        var pusher = new SkopeoTestPusher();

        var error = await Assert.ThrowsAsync<DeliveryException>(() => Publisher(pusher, new NoAwsCredentials()).PublishAsync(
            new EcrRegistryTarget("eu-west-1", "123456789012", new Uri("http://127.0.0.1:9/")), [new ImageToPublish("slipway/api", "1.0.0")], log.Add, CancellationToken.None));

        Assert.Equal("AWS credentials from NoAwsCredentials failed: Unable to find the \"default\" profile", error.Message);
        Assert.Empty(pusher.Pushed);
    }

    [Fact]
    public async Task An_unreachable_ecr_endpoint_fails_with_one_line()
    {
        var error = await Assert.ThrowsAsync<DeliveryException>(() => Publisher(new NoOpPusher(), new BasicAWSCredentials("AKIAIOSFODNN7EXAMPLE", "secret")).PublishAsync(
            new EcrRegistryTarget("eu-west-1", "123456789012", new Uri("http://127.0.0.1:9/")), [new ImageToPublish("slipway/api", "1.0.0")], log.Add, CancellationToken.None));

        Assert.StartsWith("ECR not reachable at http://127.0.0.1:9/: ", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => http.Dispose();

    // A credential source with nothing to give (the SDK's own chain is tested in Slipway.Tools.Tests).
    private sealed class NoAwsCredentials : AWSCredentials
    {
        public override ImmutableCredentials GetCredentials() => throw new AmazonClientException("Unable to find the \"default\" profile.");
    }
}
