namespace Slipway.Delivery.Publishing;

/// <summary>An image to publish: its repository name in the registry (without host) and its immutable tag.</summary>
/// <param name="InputsTag">Also pushed, when the registry lacks it, so a build with the same inputs pulls this image instead of building it (<see cref="Images.InputsHash.RegistryTag"/>).</param>
public sealed record ImageToPublish(string Repository, string Tag, string? InputsTag = null);

/// <summary>A pushed image whose registry digest was verified; RepositoryCreated when PushEcr created its ECR repository.</summary>
public sealed record PublishedImage(string Reference, string Digest, bool RepositoryCreated);

/// <summary>The outcome of PushEcr for the build summary.</summary>
public sealed record PublishResult(string Registry, IReadOnlyList<PublishedImage> Images);

/// <summary>The registry holds a different manifest than the one pushed.</summary>
public sealed class ImageDigestMismatchException(string reference, string expected, string actual)
    : DeliveryException(
        $"digest mismatch for {reference}: the registry has {actual} but the pushed image is {expected}; "
        + "another build may have pushed this tag: tags are immutable, build a new version")
{
    public string Expected { get; } = expected;

    public string Actual { get; } = actual;
}
