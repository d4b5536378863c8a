using Slipway.Tools.Registry;

namespace Slipway.Delivery.Publishing;

/// <summary>
/// Pushes one local image to a registry; wired by the build to the Docker Engine API client (docker push with
/// X-Registry-Auth). <paramref name="image"/> is the full repository name including the registry host
/// (e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway/api); the implementation tags the local image as
/// image:tag if needed. Returns the manifest digest the engine reports for the pushed image (its repo digest).
/// <c>log</c> receives what the push is doing (e.g. the engine's layer lines): the push's progress, not the build's log.
/// </summary>
public interface IImagePusher
{
    Task<string> PushAsync(string image, string tag, RegistryCredentials credentials, Action<string> log, CancellationToken cancellationToken);
}
