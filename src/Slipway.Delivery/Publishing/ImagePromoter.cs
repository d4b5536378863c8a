using Slipway.Tools.Registry;

namespace Slipway.Delivery.Publishing;

/// <summary>
/// Promote: the images an earlier stage pushed and verified (its PushEcr hand-off) reach the next stage's registry by
/// digest, never rebuilt. Each manifest is copied with its blobs from registry to registry and the destination is
/// checked to serve the same digest. When both stages use one registry there is nothing to copy.
/// </summary>
public sealed class ImagePromoter(RegistryLogin login, RegistryClient registry)
{
    /// <returns>The hand-off for the destination: the same digests, named in its registry.</returns>
    public async Task<PublishResult> PromoteAsync(
        RegistryTarget source, RegistryTarget destination, PublishResult handOff, Action<string> log, CancellationToken cancellationToken)
    {
        var from = await login.LoginAsync(source, log, cancellationToken);
        if (!string.Equals(ImageReference.RegistryHost(handOff.Registry), from.Host, StringComparison.OrdinalIgnoreCase))
            throw new DeliveryException($"the images to promote were pushed to {handOff.Registry}, not to the source registry {from.Host}: promote from the stage that pushed them");
        var to = await login.LoginAsync(destination, log, cancellationToken);
        var promoted = new List<PublishedImage>();
        foreach (var image in handOff.Images)
        {
            var pushed = Parse(image.Reference, from.Host);
            var target = pushed with { Registry = to.Host };
            if (string.Equals(from.Host, to.Host, StringComparison.OrdinalIgnoreCase))
            {
                log($"{image.Reference}: source and destination are one registry, nothing to copy");
                promoted.Add(image);
                continue;
            }

            var created = false;
            if (to.Ecr is { } ecr)
            {
                try
                {
                    created = (await ecr.EnsureRepositoryAsync(target.Repository, cancellationToken)).Created;
                }
                catch (Tools.Aws.EcrException e)
                {
                    throw new DeliveryException(e.Message, inner: e);
                }
            }

            var present = await Registry(() => registry.GetManifestDigestAsync(target, to.Credentials, cancellationToken));
            if (present is not null && present != image.Digest)
                throw new ImageDigestMismatchException(target.ToString(), image.Digest, present);
            if (present is null)
            {
                log($"promoting {pushed with { Reference = image.Digest }} → {target}");
                await Registry(() => registry.CopyAsync(pushed with { Reference = image.Digest }, from.Credentials, target, to.Credentials, log, cancellationToken));
            }

            var digest = await Registry(() => registry.GetManifestDigestAsync(target, to.Credentials, cancellationToken));
            if (digest != image.Digest)
                throw new ImageDigestMismatchException(target.ToString(), image.Digest, digest ?? "nothing");
            log($"{target} verified: {digest}{(present is null ? "" : " (already there)")}");
            promoted.Add(new PublishedImage(target.ToString(), image.Digest, created));
        }

        return new PublishResult(to.Host, promoted);
    }

    /// <summary>registry/repository:tag as PushEcr wrote it.</summary>
    private static ImageReference Parse(string reference, string registryHost)
    {
        var prefix = registryHost + "/";
        var colon = reference.LastIndexOf(':');
        if (!reference.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || colon <= prefix.Length)
            throw new DeliveryException($"the hand-off names '{reference}', which is not an image tag in {registryHost}");
        return new ImageReference(registryHost, reference[prefix.Length..colon], reference[(colon + 1)..]);
    }

    private static async Task<T> Registry<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RegistryException e)
        {
            throw new DeliveryException(e.Message, inner: e);
        }
    }
}
