using Slipway.Delivery.Publishing;
using Slipway.Tools.Registry;

namespace Slipway.Delivery.Tests.Publishing;

/// <summary>
/// An <see cref="IImagePusher"/> for tests: builds a tiny OCI image on disk and pushes it to the real registry
/// with skopeo (the build wires the Docker engine client instead). Returns the digest it knows locally, or,
/// to simulate a registry serving something else, a digest the test chooses.
/// </summary>
internal sealed class SkopeoTestPusher(Func<string, string>? reportDigest = null) : IImagePusher
{
    public List<string> Pushed { get; } = [];

    public async Task<string> PushAsync(string image, string tag, RegistryCredentials credentials, Action<string> log, CancellationToken cancellationToken)
    {
        using var oci = new OciTestImage(tag);
        var slash = image.IndexOf('/', StringComparison.Ordinal);
        await oci.PushAsync(new ImageReference(image[..slash], image[(slash + 1)..], tag), credentials, cancellationToken);
        Pushed.Add($"{image}:{tag}");
        log($"pushed {image}:{tag}");
        return reportDigest?.Invoke(oci.ManifestDigest) ?? oci.ManifestDigest;
    }
}

/// <summary>A pusher that reports success without pushing anything.</summary>
internal sealed class NoOpPusher : IImagePusher
{
    public Task<string> PushAsync(string image, string tag, RegistryCredentials credentials, Action<string> log, CancellationToken cancellationToken) =>
        Task.FromResult("sha256:" + new string('0', 64));
}
