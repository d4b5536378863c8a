using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;

namespace Slipway.Tools.Aws;

/// <summary>
/// AWS Signature Version 4 for header-signed requests. The canonical request is built here; the key derivation
/// and HMAC chain are AWSSDK.Core's (AWS4Signer.ComputeSignature), which works without an SDK client.
/// </summary>
public static class SigV4Signer
{
    public const string EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>
    /// Signs a request: returns the headers to add (X-Amz-Date, X-Amz-Security-Token when temporary, Authorization).
    /// <paramref name="headers"/> are the other headers to sign; Host is taken from the URI.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Sign(
        string method,
        Uri uri,
        IEnumerable<KeyValuePair<string, string>> headers,
        ReadOnlySpan<byte> body,
        ImmutableCredentials credentials,
        string region,
        string service,
        DateTimeOffset now)
    {
        var amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var added = new List<KeyValuePair<string, string>> { new("X-Amz-Date", amzDate) };
        if (credentials.UseToken)
            added.Add(new("X-Amz-Security-Token", credentials.Token));

        var toSign = headers.Concat(added).Append(new("Host", uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}")).ToList();
        var (canonicalRequest, signedHeaders) = CanonicalRequest(method, uri, toSign, Convert.ToHexStringLower(SHA256.HashData(body)));
        var result = AWS4Signer.ComputeSignature(
            credentials, region, now.UtcDateTime, service, signedHeaders, canonicalRequest);
        added.Add(new("Authorization", result.ForAuthorizationHeader));
        return added;
    }

    /// <summary>The SigV4 canonical request and its signed-headers list.</summary>
    public static (string CanonicalRequest, string SignedHeaders) CanonicalRequest(
        string method, Uri uri, IEnumerable<KeyValuePair<string, string>> headers, string payloadHash)
    {
        var canonicalHeaders = headers
            .GroupBy(h => h.Key.ToLowerInvariant())
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (Name: g.Key, Value: string.Join(',', g.Select(h => CollapseSpaces(h.Value)))))
            .ToList();
        var signedHeaders = string.Join(';', canonicalHeaders.Select(h => h.Name));

        var canonical = new StringBuilder()
            .Append(method.ToUpperInvariant()).Append('\n')
            .Append(CanonicalPath(uri)).Append('\n')
            .Append(CanonicalQuery(uri)).Append('\n');
        foreach (var (name, value) in canonicalHeaders)
            canonical.Append(name).Append(':').Append(value).Append('\n');
        canonical.Append('\n').Append(signedHeaders).Append('\n').Append(payloadHash);
        return (canonical.ToString(), signedHeaders);
    }

    private static string CanonicalPath(Uri uri)
    {
        var segments = uri.AbsolutePath.Split('/').Select(s => Encode(Uri.UnescapeDataString(s)));
        var path = string.Join('/', segments);
        return path.Length == 0 ? "/" : path;
    }

    private static string CanonicalQuery(Uri uri)
    {
        var query = uri.Query.TrimStart('?');
        if (query.Length == 0)
            return "";
        return string.Join('&', query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(parts => (Key: Encode(Uri.UnescapeDataString(parts[0])), Value: Encode(Uri.UnescapeDataString(parts.Length > 1 ? parts[1] : ""))))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={p.Value}"));
    }

    // RFC 3986 unreserved characters stay; everything else is %XX with upper-case hex, as SigV4 requires.
    private static string Encode(string value)
    {
        var encoded = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~')
                encoded.Append((char)b);
            else
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }

        return encoded.ToString();
    }

    private static string CollapseSpaces(string value) =>
        string.Join(' ', value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries));
}
