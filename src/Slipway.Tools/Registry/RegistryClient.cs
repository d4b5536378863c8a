using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Slipway.Tools.Registry;

/// <summary>
/// The part of the Docker Registry HTTP API v2 (OCI distribution) the pipeline needs: the digest a tag points at,
/// and copying an image by digest from one registry to another.
/// Handles both auth schemes registries use: HTTP Basic (htpasswd, ECR) and the Bearer token challenge
/// (WWW-Authenticate: Bearer realm=...,service=...,scope=...).
/// </summary>
public sealed partial class RegistryClient(HttpClient http)
{
    private static readonly string[] ManifestTypes =
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    ];

    /// <summary>The manifest digest of <paramref name="image"/> (Docker-Content-Digest), or null when the tag does not exist.</summary>
    public async Task<string?> GetManifestDigestAsync(ImageReference image, RegistryCredentials? credentials, CancellationToken cancellationToken)
    {
        var url = new Uri(ImageReference.RegistryBaseUri(image.Registry), $"v2/{image.Repository}/manifests/{image.Reference}");

        using var head = await SendAsync(HttpMethod.Head, url, image, credentials, cancellationToken);
        if (head.StatusCode == HttpStatusCode.NotFound)
            return null;
        EnsureSuccess(head, image);
        if (head.Headers.TryGetValues("Docker-Content-Digest", out var digests))
            return digests.First();

        // Not every registry sends the digest on HEAD; the digest is then the hash of the manifest bytes.
        using var get = await SendAsync(HttpMethod.Get, url, image, credentials, cancellationToken);
        EnsureSuccess(get, image);
        var manifest = await get.Content.ReadAsByteArrayAsync(cancellationToken);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(manifest));
    }

    /// <summary>
    /// The authorization that last worked per registry, repository and credentials: sent up front, so a blob upload is
    /// not sent once without it just to learn the auth scheme. A Bearer token whose scope falls short is answered 401
    /// and replaced through the challenge.
    /// </summary>
    private readonly ConcurrentDictionary<string, AuthenticationHeaderValue> authorizations = new();

    /// <param name="content">Makes the request's body afresh for each attempt.</param>
    private async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, Uri url, ImageReference image, RegistryCredentials? credentials, CancellationToken cancellationToken, Func<HttpContent>? content = null)
    {
        var key = $"{image.Registry}/{image.Repository} {credentials?.BasicAuthorization}";
        var response = await SendOnceAsync(method, url, authorizations.GetValueOrDefault(key), content, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
            return response;

        var challenge = response.Headers.WwwAuthenticate.FirstOrDefault();
        response.Dispose();
        if (credentials is null && challenge?.Scheme != "Bearer")
            throw new RegistryAuthenticationException($"registry {image.Registry} requires a login for {image.Repository}: give registry credentials");

        var authorization = challenge?.Scheme switch
        {
            "Bearer" => new AuthenticationHeaderValue("Bearer", await FetchBearerTokenAsync(challenge.Parameter ?? "", image, credentials, cancellationToken)),
            _ => new AuthenticationHeaderValue("Basic", credentials!.BasicAuthorization),
        };
        var retried = await SendOnceAsync(method, url, authorization, content, cancellationToken);
        if (retried.StatusCode == HttpStatusCode.Unauthorized)
        {
            retried.Dispose();
            throw new RegistryAuthenticationException(
                $"registry {image.Registry} rejected the credentials{(credentials is null ? "" : $" of user '{credentials.User}'")} for {image.Repository}");
        }

        authorizations[key] = authorization;
        return retried;
    }

    private async Task<HttpResponseMessage> SendOnceAsync(
        HttpMethod method, Uri url, AuthenticationHeaderValue? authorization, Func<HttpContent>? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content?.Invoke() };
        foreach (var type in ManifestTypes)
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        request.Headers.Authorization = authorization;
        try
        {
            return await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new RegistryException($"registry not reachable at {url.GetLeftPart(UriPartial.Authority)}: {e.Message}", e);
        }
    }

    private async Task<string> FetchBearerTokenAsync(string challenge, ImageReference image, RegistryCredentials? credentials, CancellationToken cancellationToken)
    {
        var parameters = ChallengeParameter().Matches(challenge).ToDictionary(m => m.Groups["key"].Value, m => m.Groups["value"].Value, StringComparer.OrdinalIgnoreCase);
        if (!parameters.TryGetValue("realm", out var realm))
            throw new RegistryAuthenticationException($"registry {image.Registry} sent a Bearer challenge without a realm");
        var query = new List<string>();
        if (parameters.TryGetValue("service", out var service))
            query.Add("service=" + Uri.EscapeDataString(service));
        query.Add("scope=" + Uri.EscapeDataString(parameters.GetValueOrDefault("scope") ?? $"repository:{image.Repository}:pull"));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"{realm}?{string.Join('&', query)}");
        if (credentials is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials.BasicAuthorization);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new RegistryException($"registry token service not reachable at {realm}: {e.Message}", e);
        }

        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                throw new RegistryAuthenticationException(
                    $"registry token service {realm} refused {(credentials is null ? "anonymous access" : $"the credentials of user '{credentials.User}'")} to {image.Repository}");
            if (!response.IsSuccessStatusCode)
                throw new RegistryException($"registry token service {realm} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            // The distribution spec names it "token"; OAuth2-style services send "access_token".
            foreach (var name in new[] { "token", "access_token" })
            {
                if (json.RootElement.TryGetProperty(name, out var token) && token.GetString() is { Length: > 0 } value)
                    return value;
            }

            throw new RegistryException($"registry token service {realm} returned no token");
        }
    }

    private static void EnsureSuccess(HttpResponseMessage response, ImageReference image)
    {
        if (!response.IsSuccessStatusCode)
            throw new RegistryException($"registry {image.Registry} answered {(int)response.StatusCode} {response.ReasonPhrase} for {image}");
    }

    [GeneratedRegex("(?<key>[A-Za-z]+)=\"(?<value>[^\"]*)\"")]
    private static partial Regex ChallengeParameter();
}
