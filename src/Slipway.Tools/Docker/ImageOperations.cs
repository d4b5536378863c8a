using System.Text.Json;
using Docker.DotNet.Models;
using BuildRequest = Docker.DotNet.Models.ImageBuildParameters;

namespace Slipway.Tools.Docker;

public sealed class ImageOperations
{
    private readonly EngineConnection engine;

    internal ImageOperations(EngineConnection engine) => this.engine = engine;

    /// <summary>
    /// Builds from a tar build context (see <see cref="BuildContext"/>), streaming the build log to
    /// <paramref name="log"/>; returns the new image id. A failing step throws <see cref="DockerStreamException"/>
    /// with the engine's message.
    /// </summary>
    public async Task<string> BuildAsync(Stream context, ImageBuildParameters parameters, Action<string>? log = null, CancellationToken ct = default)
    {
        var request = new BuildRequest
        {
            Tags = [.. parameters.Tags],
            Dockerfile = parameters.Dockerfile,
            BuildArgs = parameters.BuildArgs.ToDictionary(),
            Labels = parameters.Labels.ToDictionary(),
            Target = parameters.Target,
            NoCache = parameters.NoCache,
            Remove = true,
            ForceRemove = true,
        };
        var progress = new ProgressStream("docker build", log);
        await engine.CallAsync("docker build", (docker, token) => docker.Images.BuildImageFromDockerfileAsync(
            request, context, parameters.RegistryAuths.Select(a => a.ToAuthConfig()), null, progress, token), ct, engine.Timeouts.Long).ConfigureAwait(false);
        progress.ThrowIfFailed();
        return progress.AuxValue("ID")?.GetString()
            ?? throw new DockerStreamException("docker build", "the engine did not report an image id");
    }

    /// <summary>Gives <paramref name="image"/> (name or id) the name repository:tag.</summary>
    public Task TagAsync(string image, string repository, string tag, CancellationToken ct = default) =>
        engine.CallAsync($"docker tag {image}", (docker, token) =>
            docker.Images.TagImageAsync(image, new ImageTagParameters { RepositoryName = repository, Tag = tag }, token), ct);

    /// <summary>Pushes repository:tag, streaming progress; returns the manifest digest the registry stored.</summary>
    public async Task<PushResult> PushAsync(string repository, string tag, RegistryAuth? auth, Action<string>? log = null, CancellationToken ct = default)
    {
        var operation = $"docker push {repository}:{tag}";
        var progress = new ProgressStream(operation, log);
        await engine.CallAsync(operation, (docker, token) => docker.Images.PushImageAsync(
            repository, new ImagePushParameters { Tag = tag }, auth?.ToAuthConfig(), progress, token), ct, engine.Timeouts.Long).ConfigureAwait(false);
        progress.ThrowIfFailed();
        return progress.AuxValue("Digest")?.GetString() is { } digest
            ? new PushResult(progress.AuxValue("Tag")?.GetString() ?? tag, digest, progress.AuxValue("Size") is { ValueKind: JsonValueKind.Number } size ? size.GetInt64() : 0)
            : throw new DockerStreamException(operation, "the engine did not report the pushed digest");
    }

    /// <summary>Pulls a reference (repository:tag or repository@sha256:...), streaming progress.</summary>
    public async Task PullAsync(string reference, RegistryAuth? auth, Action<string>? log = null, CancellationToken ct = default)
    {
        var operation = $"docker pull {reference}";
        var (repository, tagOrDigest) = Split(reference);
        var progress = new ProgressStream(operation, log);
        await engine.CallAsync(operation, (docker, token) => docker.Images.CreateImageAsync(
            new ImagesCreateParameters { FromImage = repository, Tag = tagOrDigest }, auth?.ToAuthConfig(), progress, token), ct, engine.Timeouts.Long).ConfigureAwait(false);
        progress.ThrowIfFailed();
    }

    public async Task<ImageInspect> InspectAsync(string image, CancellationToken ct = default) =>
        ImageInspect.From(await engine.CallAsync($"docker image inspect {image}", (docker, token) => docker.Images.InspectImageAsync(image, token), ct).ConfigureAwait(false));

    /// <summary>The image, or null when the engine has no such image.</summary>
    public Task<ImageInspect?> TryInspectAsync(string image, CancellationToken ct = default) =>
        InspectAsync(image, ct).OrNullWhenNotFoundAsync();

    public async Task<IReadOnlyList<ImageSummary>> ListAsync(ImageListFilter? filter = null, CancellationToken ct = default)
    {
        var images = await engine.CallAsync("docker image ls", (docker, token) =>
            docker.Images.ListImagesAsync(new ImagesListParameters { Filters = filter?.ToFilters() }, token), ct).ConfigureAwait(false);
        return images.Select(i => new ImageSummary(i.ID, i.RepoTags?.ToArray(), i.RepoDigests?.ToArray(), i.Size,
            new DateTimeOffset(i.Created.ToUniversalTime()).ToUnixTimeSeconds(), i.Labels?.AsReadOnly())).ToArray();
    }

    /// <summary>Removes a name (or, by id, the image); <paramref name="force"/> also removes an image with several names.</summary>
    public Task RemoveAsync(string image, bool force = false, CancellationToken ct = default) =>
        engine.CallAsync($"docker rmi {image}", (docker, token) => docker.Images.DeleteImageAsync(image, new ImageDeleteParameters { Force = force }, token), ct);

    /// <summary>Writes the images as a `docker save` tarball to <paramref name="destination"/>.</summary>
    public Task SaveAsync(IEnumerable<string> images, Stream destination, CancellationToken ct = default)
    {
        var names = images.ToArray();
        return engine.CallAsync("docker save", async (docker, token) =>
        {
            await using var tar = await docker.Images.SaveImagesAsync(names, token).ConfigureAwait(false);
            await tar.CopyToAsync(destination, token).ConfigureAwait(false);
        }, ct, engine.Timeouts.Long);
    }

    /// <summary>Loads a `docker save` tarball (manifest.json, config, layers), tagging it as its manifest names.</summary>
    public async Task LoadAsync(Stream archive, CancellationToken ct = default)
    {
        var progress = new ProgressStream("docker load", null);
        await engine.CallAsync("docker load", (docker, token) => docker.Images.LoadImageAsync(
            new ImageLoadParameters { Quiet = true }, archive, progress, token), ct, engine.Timeouts.Long).ConfigureAwait(false);
        progress.ThrowIfFailed();
    }

    /// <summary>"repo:tag" → (repo, tag); "repo@sha256:x" → (repo, sha256:x); "repo" → (repo, latest).</summary>
    internal static (string Repository, string TagOrDigest) Split(string reference)
    {
        var at = reference.IndexOf('@', StringComparison.Ordinal);
        if (at > 0)
            return (reference[..at], reference[(at + 1)..]);
        var colon = reference.LastIndexOf(':');
        return colon > reference.LastIndexOf('/') ? (reference[..colon], reference[(colon + 1)..]) : (reference, "latest");
    }
}
