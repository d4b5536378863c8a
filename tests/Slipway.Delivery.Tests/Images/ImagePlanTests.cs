using System.Text.RegularExpressions;
using Slipway.Delivery.Images;

namespace Slipway.Delivery.Tests.Images;

public sealed partial class ImagePlanTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("slipway-plan-").FullName;

    [Fact]
    public void The_repository_plan_loads_and_its_dockerfiles_and_base_images_exist()
    {
        var plan = ImagePlan.Load(RepositoryFiles.PathOf(ImagePlan.DefaultPath));
        var catalog = BaseImageCatalog.Load(RepositoryFiles.PathOf(BaseImageCatalog.DefaultPath));

        var api = Assert.Single(plan.Images, i => i.Name == "slipway-api");
        Assert.Equal("docker/api.Dockerfile", api.Dockerfile);
        foreach (var image in plan.Images)
        {
            Assert.True(File.Exists(RepositoryFiles.PathOf(image.Dockerfile)), image.Dockerfile);
            foreach (var name in image.BaseImages!.Values)
                Assert.NotNull(catalog.Resolve(name));
        }
    }

    [Fact]
    public void Dockerfile_base_image_arg_defaults_match_the_pinned_list()
    {
        // The pins live in docker/base-images.json; the ARG defaults only make a plain `docker build` work.
        var plan = ImagePlan.Load(RepositoryFiles.PathOf(ImagePlan.DefaultPath));
        var catalog = BaseImageCatalog.Load(RepositoryFiles.PathOf(BaseImageCatalog.DefaultPath));

        foreach (var image in plan.Images)
        {
            var defaults = ArgDefault().Matches(File.ReadAllText(RepositoryFiles.PathOf(image.Dockerfile)))
                .GroupBy(m => m.Groups[1].Value)
                .ToDictionary(g => g.Key, g => g.First().Groups[2].Value);
            foreach (var (arg, name) in image.BaseImages!)
                Assert.Equal(catalog.Resolve(name), defaults[arg]);
        }
    }

    [Fact]
    public void Base_images_are_pinned_to_a_version_never_latest()
    {
        var catalog = BaseImageCatalog.Load(RepositoryFiles.PathOf(BaseImageCatalog.DefaultPath));

        Assert.Superset(new HashSet<string> { "sdk", "aspnet", "nginx", "postgres", "redis" }, catalog.Names.ToHashSet());
        foreach (var name in catalog.Names)
            Assert.Matches(@":[0-9][^/]*$", catalog.Resolve(name));
    }

    [Fact]
    public void Mirror_rewrites_every_base_image()
    {
        var catalog = new BaseImageCatalog(new Dictionary<string, string> { ["aspnet"] = "mcr.microsoft.com/dotnet/aspnet:10.0" });

        Assert.Equal("127.0.0.1:5000/dotnet/aspnet:10.0", catalog.Resolve("aspnet", "127.0.0.1:5000"));
        var error = Assert.Throws<ImagePlanException>(() => catalog.Resolve("python"));
        Assert.Equal("base image 'python' is not in docker/base-images.json (known: aspnet)", error.Message);
    }

    [Theory]
    [InlineData("""{ "images": [] }""", "lists no images")]
    [InlineData("""{ "images": [ { "name": "a" } ] }""", "every image needs a name and a dockerfile")]
    [InlineData("""{ "images": [ { "name": "a", "dockerfile": "x" }, { "name": "a", "dockerfile": "y" } ] }""", "image 'a' is listed twice")]
    [InlineData("""{ "images": [ """, "")]
    public void Bad_plans_are_one_clear_line(string json, string expected)
    {
        var path = Path.Combine(dir, "images.json");
        File.WriteAllText(path, json);

        var error = Assert.Throws<ImagePlanException>(() => ImagePlan.Load(path));

        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_plan_names_the_file() =>
        Assert.Equal($"image plan {dir}/none.json not found", Assert.Throws<ImagePlanException>(() => ImagePlan.Load($"{dir}/none.json")).Message);

    [GeneratedRegex(@"^ARG\s+([A-Z_]+)=(\S+)", RegexOptions.Multiline)]
    private static partial Regex ArgDefault();

    public void Dispose() => Directory.Delete(dir, recursive: true);
}
