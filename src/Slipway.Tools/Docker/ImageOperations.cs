using System.Net.Http.Headers;
using System.Text.Json;

namespace Slipway.Tools.Docker;

public sealed class ImageOperations
{
    private readonly DockerTransport transport;

    internal ImageOperations(DockerTransport transport) => this.transport = transport;

    /// <summary>
    /// Builds from a tar build context (see <see cref="BuildContext"/>), streaming the build log to
    /// <paramref name="log"/>; returns the new image id. A failing step throws <see cref="DockerStreamException"/>
    /// with the engine's message.
    /// </summary>
    public async Task<string> BuildAsync(Stream context, ImageBuildParameters parameters, Action<string>? log = null, CancellationToken ct = default)
    {
        var query = new Query()
            .Add("dockerfile", parameters.Dockerfile)
            .AddJson("buildargs", parameters.BuildArgs)
            .AddJson("labels", parameters.Labels)
            .Add("target", parameters.Target)
            .Add("nocache", parameters.NoCache)
            .Add("rm", true)
            .Add("forcerm", true);
        foreach (var tag in parameters.Tags)
            query.Add("t", tag);
        var headers = new Dictionary<string, string>();
        if (parameters.RegistryAuths.Count > 0)
            headers["X-Registry-Config"] = RegistryAuth.ToConfigHeader(parameters.RegistryAuths);

        using var content = new StreamContent(context);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        using var response = await transport.SendAsync(HttpMethod.Post, "build", query, content, headers, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        string? id = null;
        await JsonMessageStream.ReadAsync(response, "docker build", log, message =>
        {
            if (message.Aux is { ValueKind: JsonValueKind.Object } aux && aux.TryGetProperty("ID", out var value))
                id = value.GetString();
            else if (message.Stream?.StartsWith("Successfully built ", StringComparison.Ordinal) == true)
                id ??= message.Stream["Successfully built ".Length..].Trim();
        }, ct).ConfigureAwait(false);
        return id ?? throw new DockerStreamException("docker build", "the engine did not report an image id");
    }

    /// <summary>Gives <paramref name="image"/> (name or id) the name repository:tag.</summary>
    public Task TagAsync(string image, string repository, string tag, CancellationToken ct = default) =>
        transport.SendAndForgetAsync(HttpMethod.Post, $"images/{image}/tag", new Query().Add("repo", repository).Add("tag", tag), ct: ct);

    /// <summary>Pushes repository:tag, streaming progress; returns the manifest digest the registry stored.</summary>
    public async Task<PushResult> PushAsync(string repository, string tag, RegistryAuth? auth, Action<string>? log = null, CancellationToken ct = default)
    {
        var headers = new Dictionary<string, string> { ["X-Registry-Auth"] = auth?.ToHeader() ?? RegistryAuth.EmptyHeader };
        using var response = await transport.SendAsync(
            HttpMethod.Post, $"images/{repository}/push", new Query().Add("tag", tag), null, headers, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        PushResult? result = null;
        await JsonMessageStream.ReadAsync(response, $"docker push {repository}:{tag}", log, message =>
        {
            if (message.Aux is { ValueKind: JsonValueKind.Object } aux && aux.TryGetProperty("Digest", out var digest))
                result = new PushResult(aux.GetProperty("Tag").GetString() ?? tag, digest.GetString()!, aux.TryGetProperty("Size", out var size) ? size.GetInt64() : 0);
        }, ct).ConfigureAwait(false);
        return result ?? throw new DockerStreamException($"docker push {repository}:{tag}", "the engine did not report the pushed digest");
    }

    /// <summary>Pulls a reference (repository:tag or repository@sha256:...), streaming progress.</summary>
    public async Task PullAsync(string reference, RegistryAuth? auth, Action<string>? log = null, CancellationToken ct = default)
    {
        var headers = new Dictionary<string, string> { ["X-Registry-Auth"] = auth?.ToHeader() ?? RegistryAuth.EmptyHeader };
        var (repository, tagOrDigest) = Split(reference);
        using var response = await transport.SendAsync(
            HttpMethod.Post, "images/create", new Query().Add("fromImage", repository).Add("tag", tagOrDigest), null, headers,
            HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await JsonMessageStream.ReadAsync(response, $"docker pull {reference}", log, null, ct).ConfigureAwait(false);
    }

    public Task<ImageInspect> InspectAsync(string image, CancellationToken ct = default) =>
        transport.GetJsonAsync<ImageInspect>($"images/{image}/json", ct: ct);

    /// <summary>The image, or null when the engine has no such image.</summary>
    public Task<ImageInspect?> TryInspectAsync(string image, CancellationToken ct = default) =>
        InspectAsync(image, ct).OrNullWhenNotFoundAsync();

    public Task<IReadOnlyList<ImageSummary>> ListAsync(ImageListFilter? filter = null, CancellationToken ct = default) =>
        transport.GetJsonAsync<IReadOnlyList<ImageSummary>>("images/json", new Query().AddJson("filters", filter?.ToFilters()), ct);

    /// <summary>Removes a name (or, by id, the image); <paramref name="force"/> also removes an image with several names.</summary>
    public Task RemoveAsync(string image, bool force = false, CancellationToken ct = default) =>
        transport.SendAndForgetAsync(HttpMethod.Delete, $"images/{image}", new Query().Add("force", force), ct: ct);

    /// <summary>Writes the images as a `docker save` tarball to <paramref name="destination"/>.</summary>
    public async Task SaveAsync(IEnumerable<string> images, Stream destination, CancellationToken ct = default)
    {
        var query = new Query();
        foreach (var image in images)
            query.Add("names", image);
        using var response = await transport.SendAsync(HttpMethod.Get, "images/get", query, completion: HttpCompletionOption.ResponseHeadersRead, ct: ct).ConfigureAwait(false);
        await response.Content.CopyToAsync(destination, ct).ConfigureAwait(false);
    }

    /// <summary>Loads a `docker save` tarball (manifest.json, config, layers), tagging it as its manifest names.</summary>
    public async Task LoadAsync(Stream archive, CancellationToken ct = default)
    {
        using var content = new StreamContent(archive);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        using var response = await transport.SendAsync(HttpMethod.Post, "images/load", new Query().Add("quiet", true), content, completion: HttpCompletionOption.ResponseHeadersRead, ct: ct).ConfigureAwait(false);
        await JsonMessageStream.ReadAsync(response, "docker load", null, null, ct).ConfigureAwait(false);
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
