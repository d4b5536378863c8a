using Slipway.Delivery.Images;

namespace Slipway.Delivery.Tests.Images;

public sealed class ImageMirrorTests
{
    [Theory]
    [InlineData("nginx:1.25-alpine", "127.0.0.1:5000", "127.0.0.1:5000/library/nginx:1.25-alpine")]
    [InlineData("mcr.microsoft.com/dotnet/aspnet:10.0", "127.0.0.1:5000", "127.0.0.1:5000/dotnet/aspnet:10.0")]
    [InlineData("postgres:15.4-alpine", "mirror.corp.example/hub", "mirror.corp.example/hub/library/postgres:15.4-alpine")]
    [InlineData("bitnami/redis:7.0", "127.0.0.1:5000", "127.0.0.1:5000/bitnami/redis:7.0")]
    [InlineData("docker.io/library/redis:7.0-alpine", "127.0.0.1:5000", "127.0.0.1:5000/library/redis:7.0-alpine")]
    [InlineData("docker.io/redis:7.0-alpine", "127.0.0.1:5000", "127.0.0.1:5000/library/redis:7.0-alpine")]
    [InlineData("localhost/app:1", "127.0.0.1:5000", "127.0.0.1:5000/app:1")]
    [InlineData("ghcr.io/org/tool@sha256:0123", "127.0.0.1:5000/", "127.0.0.1:5000/org/tool@sha256:0123")]
    [InlineData("127.0.0.1:5000/dotnet/sdk:10.0", "127.0.0.1:5000", "127.0.0.1:5000/dotnet/sdk:10.0")]
    public void Rewrites_to_the_mirror_keeping_the_repository_path(string reference, string mirror, string expected) =>
        Assert.Equal(expected, ImageMirror.Rewrite(reference, mirror));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void No_mirror_leaves_the_reference_alone(string? mirror) =>
        Assert.Equal("nginx:1.25-alpine", ImageMirror.Rewrite("nginx:1.25-alpine", mirror));

    [Theory]
    [InlineData("https://127.0.0.1:5000")]
    [InlineData("my mirror")]
    [InlineData("/path")]
    public void A_mirror_that_is_not_a_registry_is_one_clear_line(string mirror)
    {
        var error = Assert.Throws<ArgumentException>(() => ImageMirror.Rewrite("nginx:1.25-alpine", mirror));

        Assert.StartsWith($"image mirror '{mirror}' is not a registry: use host[:port][/prefix]", error.Message, StringComparison.Ordinal);
    }
}
