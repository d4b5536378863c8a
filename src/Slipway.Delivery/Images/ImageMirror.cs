namespace Slipway.Delivery.Images;

/// <summary>
/// Rewrites image references to a private mirror registry, as air-gapped sites need: the source
/// registry is dropped and the repository path kept, with Docker Hub's official images under
/// library/ ("nginx:1.25-alpine" → "mirror/library/nginx:1.25-alpine",
/// "mcr.microsoft.com/dotnet/aspnet:10.0" → "mirror/dotnet/aspnet:10.0").
/// </summary>
public static class ImageMirror
{
    private static readonly HashSet<string> DockerHub = new(StringComparer.Ordinal) { "docker.io", "index.docker.io", "registry-1.docker.io" };

    /// <param name="reference">An image reference (name[:tag][@digest]).</param>
    /// <param name="mirror">host[:port][/path prefix], or null/empty for no mirror.</param>
    public static string Rewrite(string reference, string? mirror)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        if (string.IsNullOrWhiteSpace(mirror))
            return reference;
        var prefix = Validate(mirror);
        if (reference.StartsWith(prefix + "/", StringComparison.Ordinal))
            return reference;

        var (registry, path) = SplitRegistry(reference);
        if (registry is null || DockerHub.Contains(registry))
        {
            if (!path.Contains('/', StringComparison.Ordinal))
                path = "library/" + path;
        }

        return $"{prefix}/{path}";
    }

    /// <summary>The registry host of a reference, or null for Docker Hub's implicit one.</summary>
    public static (string? Registry, string Path) SplitRegistry(string reference)
    {
        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
            return (null, reference);
        var first = reference[..slash];
        return first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost"
            ? (first, reference[(slash + 1)..])
            : (null, reference);
    }

    private static string Validate(string mirror)
    {
        var prefix = mirror.Trim().TrimEnd('/');
        if (prefix.Contains("://", StringComparison.Ordinal) || prefix.Any(char.IsWhiteSpace) || prefix.StartsWith('/'))
            throw new ArgumentException($"image mirror '{mirror}' is not a registry: use host[:port][/prefix], e.g. 127.0.0.1:5000", nameof(mirror));
        return prefix;
    }
}
