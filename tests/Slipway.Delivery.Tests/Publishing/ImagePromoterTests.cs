using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Slipway.Delivery.Publishing;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.Tools.Registry;

namespace Slipway.Delivery.Tests.Publishing;

/// <summary>Promote against real registries: two of the test's own, with htpasswd auth, as docker/scripts/registry.sh runs them.</summary>
public sealed class ImagePromoterTests : IAsyncLifetime
{
    private readonly HttpClient http = new();
    private readonly List<string> log = [];
    private PrivateRegistry staging = null!;
    private PrivateRegistry production = null!;

    public async Task InitializeAsync()
    {
        staging = await PrivateRegistry.StartAsync();
        production = await PrivateRegistry.StartAsync();
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await staging.DisposeAsync();
        await production.DisposeAsync();
    }

    private static BasicAuthRegistryTarget Target(PrivateRegistry registry) => new(Credentials(registry));

    private static RegistryCredentials Credentials(PrivateRegistry registry) => new(registry.Address, PrivateRegistry.User, registry.Password);

    private ImagePromoter Promoter => new(new RegistryLogin(http), new RegistryClient(http));

    /// <summary>What PushEcr hands over after pushing <paramref name="images"/> to staging.</summary>
    private async Task<PublishResult> PushedToStagingAsync(params OciTestImage[] images)
    {
        var pushed = new List<PublishedImage>();
        foreach (var (image, index) in images.Select((image, index) => (image, index)))
        {
            var reference = new ImageReference(staging.Address, $"slipway-{index}", image.Tag);
            await image.PushAsync(reference, Credentials(staging), CancellationToken.None);
            pushed.Add(new PublishedImage(reference.ToString(), image.ManifestDigest, RepositoryCreated: false));
        }

        return new PublishResult(staging.Address, pushed);
    }

    [Fact]
    public async Task The_destination_serves_each_image_under_its_tag_with_the_digest_staging_verified()
    {
        using var api = new OciTestImage("1.0.0-abc1234");
        using var proxy = new OciTestImage("1.0.0-abc1234");
        var handOff = await PushedToStagingAsync(api, proxy);

        var result = await Promoter.PromoteAsync(Target(staging), Target(production), handOff, log.Add, CancellationToken.None);

        Assert.Equal(production.Address, result.Registry);
        Assert.Equal([$"{production.Address}/slipway-0:1.0.0-abc1234", $"{production.Address}/slipway-1:1.0.0-abc1234"], result.Images.Select(i => i.Reference));
        Assert.Equal([api.ManifestDigest, proxy.ManifestDigest], result.Images.Select(i => i.Digest));
        Assert.Equal(
            [$"slipway-0:1.0.0-abc1234 {api.ManifestDigest}", $"slipway-1:1.0.0-abc1234 {proxy.ManifestDigest}"],
            await production.ContentsAsync());
        Assert.Equal(await staging.ContentsAsync(), await production.ContentsAsync());
        Assert.Equal(4, log.Count(l => l.Contains("copied blob", StringComparison.Ordinal)));
    }

    /// <summary>From the shared registry .ci/run starts (its own repository per run) into a registry of the test's own.</summary>
    [RegistryFact]
    public async Task From_the_shared_registry_the_destination_serves_the_same_digest()
    {
        var shared = new RegistryCredentials(RealServers.Registry!, RealServers.RegistryUser!, RealServers.RegistryPassword!);
        var repository = $"slipway-test/promote-{Guid.NewGuid():N}";
        using var api = new OciTestImage("1.0.0-abc1234");
        var source = new ImageReference(shared.Server, repository, api.Tag);
        await api.PushAsync(source, shared, CancellationToken.None);
        var handOff = new PublishResult(shared.Server, [new PublishedImage(source.ToString(), api.ManifestDigest, RepositoryCreated: false)]);

        var result = await Promoter.PromoteAsync(new BasicAuthRegistryTarget(shared), Target(production), handOff, log.Add, CancellationToken.None);

        var destination = new ImageReference(production.Address, repository, api.Tag);
        Assert.Equal([(destination.ToString(), api.ManifestDigest)], result.Images.Select(i => (i.Reference, i.Digest)));
        var client = new RegistryClient(http);
        Assert.Equal(api.ManifestDigest, await client.GetManifestDigestAsync(source, shared, CancellationToken.None));
        Assert.Equal(api.ManifestDigest, await client.GetManifestDigestAsync(destination, Credentials(production), CancellationToken.None));
        Assert.Equal(api.ManifestDigest, await new SkopeoInspector().GetDigestAsync(destination, Credentials(production), CancellationToken.None));
    }

    [Fact]
    public async Task Promoting_again_copies_nothing_and_verifies_the_same_digests()
    {
        using var api = new OciTestImage("1.0.0-abc1234");
        var handOff = await PushedToStagingAsync(api);
        var first = await Promoter.PromoteAsync(Target(staging), Target(production), handOff, log.Add, CancellationToken.None);
        log.Clear();

        var again = await Promoter.PromoteAsync(Target(staging), Target(production), handOff, log.Add, CancellationToken.None);

        Assert.Equal(first, again with { Images = first.Images });
        Assert.Equal(first.Images, again.Images);
        Assert.DoesNotContain(log, l => l.Contains("copied blob", StringComparison.Ordinal) || l.StartsWith("promoting", StringComparison.Ordinal));
        Assert.Contains($"{production.Address}/slipway-0:1.0.0-abc1234 verified: {api.ManifestDigest} (already there)", log);
    }

    /// <summary>A multi-platform image: the index, each manifest it lists and their blobs arrive, the index under the same digest.</summary>
    [Fact]
    public async Task An_image_index_is_copied_with_the_manifests_it_lists()
    {
        using var amd64 = new OciTestImage("amd64");
        using var arm64 = new OciTestImage("arm64");
        var images = await PushedToStagingAsync(amd64, arm64);
        var client = new RegistryClient(http);
        var manifests = new List<RegistryManifest>();
        foreach (var image in images.Images)
            manifests.Add((await client.GetManifestAsync(Reference(image), Credentials(staging), CancellationToken.None))!);
        var index = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            schemaVersion = 2,
            mediaType = "application/vnd.oci.image.index.v1+json",
            manifests = manifests.Select((manifest, i) => new
            {
                mediaType = manifest.MediaType,
                digest = manifest.Digest,
                size = manifest.Content.Length,
                platform = new { architecture = i == 0 ? "amd64" : "arm64", os = "linux" },
            }),
        }));
        // Both platform manifests go into the index's repository first, as a registry requires.
        foreach (var image in images.Images)
            await client.CopyAsync(Reference(image), Credentials(staging), new ImageReference(staging.Address, "slipway-api", image.Digest), Credentials(staging), log.Add, CancellationToken.None);
        using (var put = new HttpRequestMessage(HttpMethod.Put, $"http://{staging.Address}/v2/slipway-api/manifests/1.0.0-abc1234"))
        {
            put.Headers.Authorization = new AuthenticationHeaderValue("Basic", Credentials(staging).BasicAuthorization);
            put.Content = new ByteArrayContent(index) { Headers = { ContentType = new MediaTypeHeaderValue("application/vnd.oci.image.index.v1+json") } };
            using var response = await http.SendAsync(put);
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        var indexDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(index));
        var handOff = new PublishResult(staging.Address, [new PublishedImage($"{staging.Address}/slipway-api:1.0.0-abc1234", indexDigest, RepositoryCreated: false)]);

        var result = await Promoter.PromoteAsync(Target(staging), Target(production), handOff, log.Add, CancellationToken.None);

        Assert.Equal(indexDigest, Assert.Single(result.Images).Digest);
        var copied = await client.GetManifestAsync(new ImageReference(production.Address, "slipway-api", "1.0.0-abc1234"), Credentials(production), CancellationToken.None);
        Assert.Equal(indexDigest, copied!.Digest);
        Assert.True(copied.IsIndex);
        foreach (var image in images.Images)
            Assert.Equal(image.Digest, await client.GetManifestDigestAsync(new ImageReference(production.Address, "slipway-api", image.Digest), Credentials(production), CancellationToken.None));
    }

    private static ImageReference Reference(PublishedImage image)
    {
        var at = image.Reference.IndexOf('/', StringComparison.Ordinal);
        var colon = image.Reference.LastIndexOf(':');
        return new ImageReference(image.Reference[..at], image.Reference[(at + 1)..colon], image.Digest);
    }

    [Fact]
    public async Task One_registry_for_both_stages_is_left_as_it_is()
    {
        using var api = new OciTestImage("1.0.0-abc1234");
        var handOff = await PushedToStagingAsync(api);
        var before = await staging.ContentsAsync();

        var result = await Promoter.PromoteAsync(Target(staging), Target(staging), handOff, log.Add, CancellationToken.None);

        Assert.Equal(handOff.Images, result.Images);
        Assert.Equal(before, await staging.ContentsAsync());
        Assert.Empty(await production.ContentsAsync());
    }

    [Fact]
    public async Task A_destination_tag_that_names_another_image_is_refused_and_kept()
    {
        using var api = new OciTestImage("1.0.0-abc1234");
        using var other = new OciTestImage("1.0.0-abc1234");
        var handOff = await PushedToStagingAsync(api);
        await other.PushAsync(new ImageReference(production.Address, "slipway-0", other.Tag), Credentials(production), CancellationToken.None);

        var error = await Assert.ThrowsAsync<ImageDigestMismatchException>(() => Promoter.PromoteAsync(Target(staging), Target(production), handOff, log.Add, CancellationToken.None));

        Assert.Equal(api.ManifestDigest, error.Expected);
        Assert.Equal(other.ManifestDigest, error.Actual);
        Assert.Equal([$"slipway-0:1.0.0-abc1234 {other.ManifestDigest}"], await production.ContentsAsync());
    }

    [Fact]
    public async Task A_hand_off_from_another_registry_is_refused_before_anything_is_copied()
    {
        using var api = new OciTestImage("1.0.0-abc1234");
        var handOff = await PushedToStagingAsync(api);

        var error = await Assert.ThrowsAsync<DeliveryException>(() => Promoter.PromoteAsync(Target(production), Target(staging), handOff, log.Add, CancellationToken.None));

        Assert.StartsWith($"the images to promote were pushed to {staging.Address}, not to the source registry {production.Address}", error.Message, StringComparison.Ordinal);
        Assert.Empty(await production.ContentsAsync());
    }

    [Fact]
    public async Task Wrong_destination_credentials_are_one_line_naming_the_registry()
    {
        using var api = new OciTestImage("1.0.0-abc1234");
        var handOff = await PushedToStagingAsync(api);
        var wrong = new BasicAuthRegistryTarget(new RegistryCredentials(production.Address, PrivateRegistry.User, "not-the-password"));

        var error = await Assert.ThrowsAsync<DeliveryException>(() => Promoter.PromoteAsync(Target(staging), wrong, handOff, log.Add, CancellationToken.None));

        Assert.Contains($"registry {production.Address} rejected the credentials of user 'AWS'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", error.Message, StringComparison.Ordinal);
    }
}
