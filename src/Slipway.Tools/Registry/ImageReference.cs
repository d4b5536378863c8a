namespace Slipway.Tools.Registry;

/// <summary>A registry, a repository in it and a tag or digest: host[:port]/name[:tag|@digest].</summary>
public sealed record ImageReference(string Registry, string Repository, string Reference)
{
    public override string ToString() =>
        Reference.StartsWith("sha256:", StringComparison.Ordinal) ? $"{Registry}/{Repository}@{Reference}" : $"{Registry}/{Repository}:{Reference}";

    /// <summary>
    /// The registry's base URI. Loopback registries are plain HTTP (as the Docker engine trusts them); everything
    /// else is HTTPS unless the server is given with a scheme (e.g. ECR's proxy endpoint "https://...").
    /// </summary>
    public static Uri RegistryBaseUri(string server)
    {
        if (server.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || server.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return new Uri(server.TrimEnd('/') + "/");
        var host = new Uri("http://" + server).Host;
        var loopback = host is "localhost" || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip));
        return new Uri($"{(loopback ? "http" : "https")}://{server}/");
    }

    /// <summary>host:port without a scheme, as Docker and image references write it.</summary>
    public static string RegistryHost(string server) => RegistryBaseUri(server).Authority;
}
