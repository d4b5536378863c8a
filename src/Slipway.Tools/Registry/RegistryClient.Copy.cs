using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Slipway.Tools.Registry;

/// <summary>A manifest exactly as the registry stores it: its bytes are what its digest hashes.</summary>
public sealed record RegistryManifest(byte[] Content, string MediaType, string Digest)
{
    private static readonly string[] IndexTypes = ["application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.oci.image.index.v1+json"];

    public bool IsIndex => IndexTypes.Contains(MediaType);

    /// <summary>What the manifest refers to: the child manifests of an index, else the config and layer blobs.</summary>
    public IReadOnlyList<string> References()
    {
        using var json = JsonDocument.Parse(Content);
        var root = json.RootElement;
        if (IsIndex)
            return root.GetProperty("manifests").EnumerateArray().Select(m => m.GetProperty("digest").GetString()!).ToList();
        var blobs = new List<string>();
        if (root.TryGetProperty("config", out var config))
            blobs.Add(config.GetProperty("digest").GetString()!);
        if (root.TryGetProperty("layers", out var layers))
            blobs.AddRange(layers.EnumerateArray().Select(l => l.GetProperty("digest").GetString()!));
        return blobs;
    }
}

/// <summary>
/// Registry-to-registry copy through the HTTP API: manifests are copied byte for byte, so the digest at the
/// destination is the source's. Blobs the destination lacks go through a temporary file, checked against their digest.
/// </summary>
public sealed partial class RegistryClient
{
    /// <summary>The manifest <paramref name="image"/> names, or null when it does not exist.</summary>
    public async Task<RegistryManifest?> GetManifestAsync(ImageReference image, RegistryCredentials? credentials, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, ManifestUrl(image, image.Reference), image, credentials, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        EnsureSuccess(response, image);
        var content = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var mediaType = response.Content.Headers.ContentType?.MediaType
            ?? throw new RegistryException($"registry {image.Registry} sent the manifest of {image} without a media type");
        return new RegistryManifest(content, mediaType, Sha256(content));
    }

    /// <summary>
    /// Copies the manifest <paramref name="source"/> names (a digest or tag) with everything it refers to into
    /// <paramref name="destination"/>'s repository, tagged <paramref name="destination"/>'s reference. Returns the digest copied.
    /// </summary>
    public async Task<string> CopyAsync(
        ImageReference source, RegistryCredentials? sourceCredentials, ImageReference destination, RegistryCredentials? destinationCredentials,
        Action<string> log, CancellationToken cancellationToken)
    {
        var manifest = await GetManifestAsync(source, sourceCredentials, cancellationToken)
            ?? throw new RegistryException($"{source} is not in registry {source.Registry}");
        if (source.Reference.StartsWith("sha256:", StringComparison.Ordinal) && source.Reference != manifest.Digest)
            throw new RegistryException($"registry {source.Registry} served a manifest hashing to {manifest.Digest} for {source}");
        foreach (var reference in manifest.References())
        {
            if (manifest.IsIndex)
                await CopyAsync(source with { Reference = reference }, sourceCredentials, destination with { Reference = reference }, destinationCredentials, log, cancellationToken);
            else
                await CopyBlobAsync(source with { Reference = reference }, sourceCredentials, destination with { Reference = reference }, destinationCredentials, log, cancellationToken);
        }

        using var put = await SendAsync(HttpMethod.Put, ManifestUrl(destination, destination.Reference), destination, destinationCredentials, cancellationToken,
            () => new ByteArrayContent(manifest.Content) { Headers = { ContentType = new MediaTypeHeaderValue(manifest.MediaType) } });
        EnsureSuccess(put, destination);
        return manifest.Digest;
    }

    private async Task CopyBlobAsync(
        ImageReference source, RegistryCredentials? sourceCredentials, ImageReference destination, RegistryCredentials? destinationCredentials,
        Action<string> log, CancellationToken cancellationToken)
    {
        var digest = source.Reference;
        using (var head = await SendAsync(HttpMethod.Head, BlobUrl(destination, digest), destination, destinationCredentials, cancellationToken))
        {
            if (head.IsSuccessStatusCode)
                return;
        }

        var file = Path.GetTempFileName();
        try
        {
            using (var get = await SendAsync(HttpMethod.Get, BlobUrl(source, digest), source, sourceCredentials, cancellationToken))
            {
                EnsureSuccess(get, source);
                await using var stream = File.Create(file);
                await get.Content.CopyToAsync(stream, cancellationToken);
            }

            await using (var check = File.OpenRead(file))
            {
                var actual = "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(check, cancellationToken));
                if (actual != digest)
                    throw new RegistryException($"registry {source.Registry} served blob {digest} of {source.Repository} with content hashing to {actual}");
            }

            using var start = await SendAsync(HttpMethod.Post, new Uri(ImageReference.RegistryBaseUri(destination.Registry), $"v2/{destination.Repository}/blobs/uploads/"),
                destination, destinationCredentials, cancellationToken, () => new ByteArrayContent([]));
            EnsureSuccess(start, destination);
            var location = start.Headers.Location ?? throw new RegistryException($"registry {destination.Registry} started an upload without a Location");
            var upload = new UriBuilder(location.IsAbsoluteUri ? location : new Uri(ImageReference.RegistryBaseUri(destination.Registry), location));
            upload.Query = (upload.Query.TrimStart('?') is { Length: > 0 } query ? query + "&" : "") + "digest=" + Uri.EscapeDataString(digest);
            using var put = await SendAsync(HttpMethod.Put, upload.Uri, destination, destinationCredentials, cancellationToken,
                () => new StreamContent(File.OpenRead(file)) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } });
            EnsureSuccess(put, destination);
            log($"  copied blob {digest[..19]} ({new FileInfo(file).Length} bytes) to {destination.Registry}/{destination.Repository}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static Uri ManifestUrl(ImageReference image, string reference) =>
        new(ImageReference.RegistryBaseUri(image.Registry), $"v2/{image.Repository}/manifests/{reference}");

    private static Uri BlobUrl(ImageReference image, string digest) =>
        new(ImageReference.RegistryBaseUri(image.Registry), $"v2/{image.Repository}/blobs/{digest}");

    private static string Sha256(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
}
