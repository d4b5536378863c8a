using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// An empty image (FROM scratch, no layers) for containers that are never started: the deploy lock
/// and the ledger's volume handle. Built on the environment's own engine, so it needs no registry.
/// </summary>
public static class PlaceholderImage
{
    public const string Name = "slipway/placeholder:1";

    public static async Task EnsureAsync(DockerClient docker, CancellationToken ct = default)
    {
        if (await docker.Images.TryInspectAsync(Name, ct).ConfigureAwait(false) is not null)
            return;
        var folder = Directory.CreateTempSubdirectory("slipway-placeholder-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "Dockerfile"),
                "FROM scratch\nLABEL org.opencontainers.image.title=\"slipway placeholder (never started)\"\n", ct).ConfigureAwait(false);
            var context = await BuildContext.CreateAsync(folder.FullName, "Dockerfile", ct).ConfigureAwait(false);
            await using (context.ConfigureAwait(false))
                await docker.Images.BuildAsync(context.Archive, new ImageBuildParameters { Tags = [Name], Dockerfile = context.Dockerfile }, ct: ct).ConfigureAwait(false);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
