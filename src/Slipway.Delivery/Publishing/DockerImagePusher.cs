using Slipway.Tools.Docker;
using Slipway.Tools.Registry;

namespace Slipway.Delivery.Publishing;

/// <summary>Pushes through the Docker Engine API: tags the local image under the registry's name, then pushes it.</summary>
public sealed class DockerImagePusher(DockerClient docker) : IImagePusher
{
    public async Task<string> PushAsync(string image, string tag, RegistryCredentials credentials, Action<string> log, CancellationToken cancellationToken)
    {
        var localName = image[(image.IndexOf('/', StringComparison.Ordinal) + 1)..];
        var local = await docker.Images.TryInspectAsync($"{localName}:{tag}", cancellationToken).ConfigureAwait(false)
            ?? throw new DeliveryException($"{localName}:{tag} is not on the engine: run ./build.sh BuildImages first");
        await docker.Images.TagAsync(local.Id, image, tag, cancellationToken).ConfigureAwait(false);
        var auth = new RegistryAuth(credentials.User, credentials.Password, credentials.Server);
        // A failed push throws with the engine's message.
        var pushed = await docker.Images.PushAsync(image, tag, auth, log, cancellationToken).ConfigureAwait(false);
        return pushed.Digest;
    }
}
