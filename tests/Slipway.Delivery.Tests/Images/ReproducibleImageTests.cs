using Slipway.Delivery.Images;
using Slipway.Delivery.Publishing;
using Slipway.Tools.Docker;
using Slipway.Tools.Registry;

namespace Slipway.Delivery.Tests.Images;

/// <summary>
/// BuildImages on the real engine (legacy builder) and the real registry: one commit and one set of inputs give one
/// image id and one manifest digest, and an image removed from the engine comes back from the registry, not a rebuild.
/// The Dockerfile has what makes the legacy builder's output differ between builds: COPY into existing and new
/// folders (directory times), COPY --chown, metadata steps, and the time-stamped config.
/// </summary>
public sealed class ReproducibleImageTests : IAsyncLifetime
{
    private static readonly DateTimeOffset CommitTime = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private readonly DockerClient docker = new();
    private readonly HttpClient http = new();
    private readonly string unique = Guid.NewGuid().ToString("N")[..10];
    private readonly string repo = Directory.CreateTempSubdirectory("slipway-repro-").FullName;
    private readonly List<string> log = [];
    private string baseImage = "";
    private string imageName = "";

    public async Task InitializeAsync()
    {
        baseImage = $"slipway-test/repro-base:{unique}";
        imageName = $"slipway-test/repro-{unique}";
        var dir = Directory.CreateTempSubdirectory("slipway-base-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "Dockerfile"), "FROM scratch\nCOPY etc/ /etc/\n");
            Directory.CreateDirectory(Path.Combine(dir, "etc", "app"));
            File.WriteAllText(Path.Combine(dir, "etc", "app", "base.conf"), "base");
            await using var context = await BuildContext.CreateAsync(dir, "Dockerfile");
            await docker.Images.BuildAsync(context.Archive, new ImageBuildParameters { Tags = [baseImage] });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        Write("docker/app.Dockerfile", """
            ARG BASE_IMAGE=pinned-elsewhere
            FROM ${BASE_IMAGE}
            ARG CREATED=unknown
            LABEL org.opencontainers.image.created="${CREATED}"
            COPY app.conf /etc/app/app.conf
            COPY sites/ /etc/app/sites/
            COPY --chown=101:101 upstreams/ /srv/upstreams/
            ENV MODE=production
            USER 101:101
            """);
        Write("app.conf", "app");
        Write("sites/default.conf", "site");
        Write("upstreams/api.conf", "upstream");
    }

    [RegistryFact]
    public async Task Two_cold_builds_of_one_commit_give_one_image_id_and_one_registry_digest()
    {
        var first = await BuildAsync("aaaaaaa", noCache: true);
        var firstDigest = await PushAsync(first.Tag, "first");
        await RemoveLocalImagesAsync();

        var second = await BuildAsync("aaaaaaa", noCache: true);
        var secondDigest = await PushAsync(second.Tag, "second");

        Assert.False(first.Reused);
        Assert.False(second.Reused);
        Assert.Equal(first.ImageId, second.ImageId);
        Assert.Equal(firstDigest, secondDigest);
        var image = await docker.Images.InspectAsync(second.Reference);
        Assert.Equal(CommitTime, DateTimeOffset.Parse(image.Created!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("2023-11-14T22:13:20Z", image.Labels["org.opencontainers.image.created"]);
        Assert.Equal(second.InputsHash, image.Labels[InputsHash.Label]);
    }

    [RegistryFact]
    public async Task An_image_removed_from_the_engine_is_pulled_by_its_inputs_tag_and_not_pushed_again()
    {
        var built = await BuildAsync("aaaaaaa", noCache: false);
        var published = await PublishAsync(built);
        Assert.Contains(log, l => l.StartsWith($"{RealServers.Registry}/{imageName}:{InputsHash.RegistryTag(built.InputsHash)} pushed: ", StringComparison.Ordinal));
        await RemoveLocalImagesAsync();
        log.Clear();

        // A later commit changing nothing the image is made of, after a rollback removed the image here.
        var again = await BuildAsync("bbbbbbb", noCache: false, registry: RegistryAuth);
        var republished = await PublishAsync(again);

        Assert.True(again.Reused);
        Assert.Equal(built.ImageId, again.ImageId);
        Assert.Contains(log, l => l.StartsWith($"{imageName}: pulled {RealServers.Registry}/{imageName}:inputs-", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.Contains("building", StringComparison.Ordinal));
        // The registry gets a tag for the manifest it already holds, not a new manifest; the inputs tag stays.
        Assert.Equal(published.Digest, republished.Digest);
        Assert.DoesNotContain(log, l => l.Contains(" pushed: ", StringComparison.Ordinal));
    }

    [RegistryFact]
    public async Task An_image_missing_everywhere_is_built()
    {
        var built = await BuildAsync("aaaaaaa", noCache: false, registry: RegistryAuth);

        Assert.False(built.Reused);
        Assert.Contains(log, l => l.StartsWith($"{imageName}: not in the registry by its inputs", StringComparison.Ordinal));
    }

    private static RegistryAuth RegistryAuth => new(RealServers.RegistryUser!, RealServers.RegistryPassword!, RealServers.Registry!);

    private async Task<ImageBuildResult> BuildAsync(string sha, bool noCache, RegistryAuth? registry = null)
    {
        var plan = new ImagePlan([new ImageSpec(imageName, "docker/app.Dockerfile", ".", new Dictionary<string, string> { ["BASE_IMAGE"] = "base" })]);
        var catalog = new BaseImageCatalog(new Dictionary<string, string> { ["base"] = baseImage });
        var request = new BuildImagesRequest(repo, plan, catalog, new ImageVersion("1.0.0", sha), CommitTime, NoCache: noCache, Registry: registry);
        return Assert.Single(await new ImageBuilder(docker).BuildAsync(request, log.Add));
    }

    /// <summary>Pushes the image under its own tag through the engine; the registry's manifest digest.</summary>
    private async Task<string> PushAsync(string tag, string pushTag)
    {
        var remote = $"{RealServers.Registry}/{imageName}";
        await docker.Images.TagAsync($"{imageName}:{tag}", remote, pushTag);
        await docker.Images.PushAsync(remote, pushTag, RegistryAuth);
        return await new RegistryClient(http).GetManifestDigestAsync(new ImageReference(RealServers.Registry!, imageName, pushTag), Credentials, CancellationToken.None)
            ?? throw new InvalidOperationException($"{remote}:{pushTag} not in the registry after the push");
    }

    private async Task<PublishedImage> PublishAsync(ImageBuildResult image)
    {
        var publisher = new ImagePublisher(
            new RegistryLogin(http), new DockerImagePusher(docker), new RegistryClient(http));
        var result = await publisher.PublishAsync(new BasicAuthRegistryTarget(Credentials),
            [new ImageToPublish(imageName, image.Tag, InputsHash.RegistryTag(image.InputsHash))], log.Add, CancellationToken.None);
        return Assert.Single(result.Images);
    }

    private static RegistryCredentials Credentials => new(RealServers.Registry!, RealServers.RegistryUser!, RealServers.RegistryPassword!);

    /// <summary>Every image built for this test: the rewritten ones, the builder's own, and pulled ones (all carry the name label).</summary>
    private async Task RemoveLocalImagesAsync()
    {
        foreach (var image in await docker.Images.ListAsync(new ImageListFilter { Labels = [$"{ImageBuilder.NameLabel}={imageName}"] }))
            await docker.Images.RemoveAsync(image.Id, force: true).ContinueWith(_ => { }, TaskScheduler.Default);
        Assert.Empty(await docker.Images.ListAsync(new ImageListFilter { Labels = [$"{ImageBuilder.NameLabel}={imageName}"] }));
    }

    private void Write(string relative, string content)
    {
        var path = Path.Combine(repo, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public async Task DisposeAsync()
    {
        Directory.Delete(repo, recursive: true);
        if (RealServers.DockerReachable)
        {
            await RemoveLocalImagesAsync();
            await docker.Images.RemoveAsync(baseImage, force: true).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        http.Dispose();
        docker.Dispose();
    }
}
