using Slipway.Tools.Registry;

namespace Slipway.Delivery.Publishing;

/// <summary>
/// PushEcr: log in, make sure each ECR repository exists (immutable tags, scan on push), push every image, and
/// confirm the registry now serves exactly the pushed manifest digest. Each push's layers are shown by
/// <paramref name="progress"/> (by default not at all).
/// </summary>
public sealed class ImagePublisher(RegistryLogin login, IImagePusher pusher, RegistryClient registry, ProgressDisplay? progress = null)
{
    public async Task<PublishResult> PublishAsync(
        RegistryTarget target, IReadOnlyList<ImageToPublish> images, Action<string> log, CancellationToken cancellationToken)
    {
        var session = await login.LoginAsync(target, log, cancellationToken);
        var published = new List<PublishedImage>();
        foreach (var image in images)
        {
            var created = false;
            if (session.Ecr is { } ecr)
            {
                try
                {
                    created = (await ecr.EnsureRepositoryAsync(image.Repository, cancellationToken)).Created;
                }
                catch (Tools.Aws.EcrException e)
                {
                    throw new DeliveryException(e.Message, inner: e);
                }

                log(created ? $"created ECR repository {image.Repository} (immutable tags, scan on push)" : $"ECR repository {image.Repository} exists");
            }

            var reference = new ImageReference(session.Host, image.Repository, image.Tag);
            var pushed = "";
            await (progress ?? PlainProgress.Through(log))($"pushing {reference}", async events =>
                pushed = await pusher.PushAsync($"{session.Host}/{image.Repository}", image.Tag, session.Credentials, events.Report, cancellationToken));
            var digest = await RegistryDigestAsync(reference, session.Credentials, cancellationToken);
            if (!string.Equals(digest, pushed, StringComparison.Ordinal))
                throw new ImageDigestMismatchException(reference.ToString(), pushed, digest);
            log($"{reference} verified: {digest}");
            if (image.InputsTag is { } inputsTag)
                await PushInputsTagAsync(new ImageReference(session.Host, image.Repository, inputsTag), session.Credentials, digest, log, cancellationToken);
            published.Add(new PublishedImage(reference.ToString(), digest, created));
        }

        return new PublishResult(session.Host, published);
    }

    /// <summary>The inputs tag names the first image pushed for those inputs and is never moved (ECR tags are immutable).</summary>
    private async Task PushInputsTagAsync(
        ImageReference reference, RegistryCredentials credentials, string digest, Action<string> log, CancellationToken cancellationToken)
    {
        var present = await RegistryLookupAsync(() => registry.GetManifestDigestAsync(reference, credentials, cancellationToken));
        if (present is null)
            log($"{reference} pushed: {await pusher.PushAsync($"{reference.Registry}/{reference.Repository}", reference.Reference, credentials, PlainProgress.Dropped.Report, cancellationToken)}");
        else if (!string.Equals(present, digest, StringComparison.Ordinal))
            log($"{reference} already names {present}, an earlier build of the same inputs; left as it is");
    }

    private async Task<string> RegistryDigestAsync(ImageReference reference, RegistryCredentials credentials, CancellationToken cancellationToken)
    {
        return await RegistryLookupAsync(() => registry.GetManifestDigestAsync(reference, credentials, cancellationToken))
            ?? throw new DeliveryException($"{reference} is not in the registry after the push: check the push log above");
    }

    private static async Task<string?> RegistryLookupAsync(Func<Task<string?>> lookup)
    {
        try
        {
            return await lookup();
        }
        catch (RegistryException e)
        {
            throw new DeliveryException(e.Message, inner: e);
        }
    }
}
