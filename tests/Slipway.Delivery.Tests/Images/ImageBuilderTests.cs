using Slipway.Delivery.Images;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Tests.Images;

/// <summary>BuildImages against the real engine, with small FROM-scratch images so each build takes seconds.</summary>
public sealed class ImageBuilderTests : IAsyncLifetime
{
    private readonly DockerClient docker = new();
    private readonly string unique = Guid.NewGuid().ToString("N")[..10];
    private readonly string repo = Directory.CreateTempSubdirectory("slipway-images-").FullName;
    private readonly List<string> log = [];
    private string baseImage = "";
    private string imageName = "";

    public async Task InitializeAsync()
    {
        baseImage = $"slipway-test/base:{unique}";
        imageName = $"slipway-test/app-{unique}";
        await BuildBaseAsync("base v1");
        Write("docker/app.Dockerfile", """
            ARG BASE_IMAGE=slipway-test/base:pinned-elsewhere
            FROM ${BASE_IMAGE}
            ARG APP_VERSION=0.0.0
            ARG GIT_SHA=unknown
            LABEL org.opencontainers.image.version="${APP_VERSION}" org.opencontainers.image.revision="${GIT_SHA}"
            COPY app/ /app/
            """);
        Write(".dockerignore", "**/*.log\n");
        Write("app/main.txt", "v1");
        Write("app/debug.log", "noise");
    }

    [DockerFact]
    public async Task Unchanged_inputs_reuse_the_image_and_changed_inputs_rebuild()
    {
        var first = Assert.Single(await BuildAsync("1.0.0", "aaaaaaa"));
        Assert.False(first.Reused);
        Assert.Equal("1.0.0-aaaaaaa", first.Tag);
        var image = await docker.Images.InspectAsync($"{imageName}:1.0.0-aaaaaaa");
        Assert.Equal(first.ImageId, image.Id);
        Assert.Equal(first.InputsHash, image.Labels[InputsHash.Label]);
        Assert.Equal("aaaaaaa", image.Labels["org.opencontainers.image.revision"]);
        Assert.Equal("1.0.0", image.Labels["org.opencontainers.image.version"]);
        Assert.True(first.Size > 0);

        // A new commit that changes nothing the image is made of, and an edit to an ignored file.
        Write("app/debug.log", "other noise");
        var second = Assert.Single(await BuildAsync("1.0.0", "bbbbbbb"));
        Assert.True(second.Reused);
        Assert.Equal(first.ImageId, second.ImageId);
        Assert.Equal(first.InputsHash, second.InputsHash);
        Assert.Equal(first.ImageId, (await docker.Images.InspectAsync($"{imageName}:1.0.0-bbbbbbb")).Id);
        Assert.Contains(log, l => l.Contains("inputs unchanged", StringComparison.Ordinal));

        // A file in the context changes.
        Write("app/main.txt", "v2");
        var third = Assert.Single(await BuildAsync("1.0.0", "ccccccc"));
        Assert.False(third.Reused);
        Assert.NotEqual(first.InputsHash, third.InputsHash);

        // The base image behind the same pinned reference changes.
        await BuildBaseAsync("base v2");
        var fourth = Assert.Single(await BuildAsync("1.0.0", "ddddddd"));
        Assert.False(fourth.Reused);
        Assert.NotEqual(third.InputsHash, fourth.InputsHash);

        // The version (stamped into the image) changes.
        var fifth = Assert.Single(await BuildAsync("1.1.0", "ddddddd"));
        Assert.False(fifth.Reused);

        // The Dockerfile changes.
        File.AppendAllText(Path.Combine(repo, "docker/app.Dockerfile"), "\nENV EXTRA=1\n");
        Assert.False(Assert.Single(await BuildAsync("1.1.0", "eeeeeee")).Reused);
    }

    [DockerFact]
    public async Task The_plan_names_the_inputs_the_build_then_uses_and_pulls_builds_or_tags_nothing()
    {
        var planned = Assert.Single(await new ImageBuilder(docker).PlanAsync(Request("1.0.0", "aaaaaaa")));
        Assert.Empty(await docker.Images.ListAsync(new ImageListFilter { Labels = [$"{ImageBuilder.NameLabel}={imageName}"] }));
        Assert.Equal(new PlannedImage(imageName, "1.0.0-aaaaaaa", planned.InputsHash, OnEngine: false, Unknown: null), planned);

        var built = Assert.Single(await BuildAsync("1.0.0", "aaaaaaa"));
        Assert.Equal(built.InputsHash, planned.InputsHash);
        Assert.True(Assert.Single(await new ImageBuilder(docker).PlanAsync(Request("1.0.0", "bbbbbbb"))).OnEngine);

        // A base image the engine does not have: the plan says so instead of pulling it.
        var absent = $"slipway-test/absent:{unique}";
        var unknown = Assert.Single(await new ImageBuilder(docker).PlanAsync(Request("1.0.0", "aaaaaaa") with { BaseImages = new BaseImageCatalog(new Dictionary<string, string> { ["base"] = absent }) }));
        Assert.Equal(new PlannedImage(imageName, "1.0.0-aaaaaaa", null, false, $"base image {absent} is not on the engine yet"), unknown);
        Assert.Null(await docker.Images.TryInspectAsync(absent));
    }

    [DockerFact]
    public async Task A_failing_build_names_the_image_and_the_engine_error()
    {
        Write("docker/app.Dockerfile", "ARG BASE_IMAGE=x\nFROM ${BASE_IMAGE}\nCOPY missing.txt /\n");

        var error = await Assert.ThrowsAsync<DockerStreamException>(() => BuildAsync("1.0.0", "aaaaaaa"));

        Assert.StartsWith("docker build failed: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing.txt", error.Message, StringComparison.Ordinal);
        // The engine's build log is shown only now that the build failed: its last lines, under the image's name.
        Assert.Contains(log, l => l.StartsWith($"{imageName}: Step ", StringComparison.Ordinal));
    }

    [DockerFact]
    public async Task A_successful_build_logs_one_line_per_image_not_the_engine_log()
    {
        await BuildAsync("1.0.0", "aaaaaaa");

        Assert.Equal(2, log.Count(l => l.StartsWith($"{imageName}", StringComparison.Ordinal)));
        Assert.DoesNotContain(log, l => l.Contains("Step 1/", StringComparison.Ordinal));
    }

    [RegistryFact]
    public async Task With_an_image_mirror_the_base_image_is_pulled_from_the_mirror_with_auth()
    {
        var registry = RealServers.Registry!;
        var auth = new RegistryAuth(RealServers.RegistryUser!, RealServers.RegistryPassword!, registry);
        var mirrored = ImageMirror.Rewrite(baseImage, registry);
        var (repository, tag) = (mirrored[..mirrored.LastIndexOf(':')], mirrored[(mirrored.LastIndexOf(':') + 1)..]);
        await docker.Images.TagAsync(baseImage, repository, tag);
        await docker.Images.PushAsync(repository, tag, auth);
        await docker.Images.RemoveAsync(mirrored);
        var expectedBase = (await docker.Images.InspectAsync(baseImage)).Id;

        var result = Assert.Single(await BuildAsync("1.0.0", "aaaaaaa", registry, auth));

        Assert.False(result.Reused);
        Assert.Contains(log, l => l == $"{imageName}: pulling base image {mirrored}");
        Assert.Equal(expectedBase, (await docker.Images.InspectAsync(mirrored)).Id);
        await docker.Images.RemoveAsync(mirrored, force: true);
    }

    private Task<IReadOnlyList<ImageBuildResult>> BuildAsync(string semver, string sha, string? mirror = null, RegistryAuth? auth = null) =>
        new ImageBuilder(docker).BuildAsync(Request(semver, sha, mirror, auth), log.Add);

    private BuildImagesRequest Request(string semver, string sha, string? mirror = null, RegistryAuth? auth = null)
    {
        var plan = new ImagePlan([new ImageSpec(imageName, "docker/app.Dockerfile", ".", new Dictionary<string, string> { ["BASE_IMAGE"] = "base" })]);
        var catalog = new BaseImageCatalog(new Dictionary<string, string> { ["base"] = baseImage });
        return new BuildImagesRequest(repo, plan, catalog, new ImageVersion(semver, sha), DateTimeOffset.UtcNow, mirror, auth);
    }

    private async Task BuildBaseAsync(string content)
    {
        var dir = Directory.CreateTempSubdirectory("slipway-base-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "Dockerfile"), "FROM scratch\nCOPY base.txt /\n");
            File.WriteAllText(Path.Combine(dir, "base.txt"), content);
            await using var context = await BuildContext.CreateAsync(dir, "Dockerfile");
            await docker.Images.BuildAsync(context.Archive, new ImageBuildParameters { Tags = [baseImage] });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
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
            var mine = await docker.Images.ListAsync(new ImageListFilter { Labels = [$"{ImageBuilder.NameLabel}={imageName}"] });
            foreach (var image in mine)
                await docker.Images.RemoveAsync(image.Id, force: true);
            await docker.Images.RemoveAsync(baseImage, force: true).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        docker.Dispose();
    }
}
