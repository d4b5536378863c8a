using Slipway.Delivery.Images;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Tests.Images;

/// <summary>
/// The shipped API image (docker/api.Dockerfile through the repository's own plan, base images from the seeded
/// mirror), built once per test run: the first build takes minutes, later ones reuse it through its inputs hash.
/// </summary>
internal static class TestApiImage
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static ImageBuildResult? built;

    public static async Task<ImageBuildResult> EnsureAsync(DockerClient docker)
    {
        await Gate.WaitAsync();
        try
        {
            if (built is not null)
                return built;
            var registry = RealServers.Registry!;
            var auth = new RegistryAuth(RealServers.RegistryUser!, RealServers.RegistryPassword!, registry);
            var plan = ImagePlan.Load(RepositoryFiles.PathOf(ImagePlan.DefaultPath));
            var spec = plan.Images.Single(i => i.Name == "slipway-api") with { Name = "slipway-test/api" };
            var version = new ImageVersion("0.1.0", "0123456789abcdef0123456789abcdef01234567");
            var request = new BuildImagesRequest(RepositoryFiles.Root, new ImagePlan([spec]),
                BaseImageCatalog.Load(RepositoryFiles.PathOf(BaseImageCatalog.DefaultPath)), version,
                DateTimeOffset.UtcNow, registry, auth, "https://example.invalid/slipway");
            return built = Assert.Single(await new ImageBuilder(docker).BuildAsync(request, _ => { }));
        }
        finally
        {
            Gate.Release();
        }
    }
}
