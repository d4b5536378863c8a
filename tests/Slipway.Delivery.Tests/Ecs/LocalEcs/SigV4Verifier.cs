using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.Ecs.LocalEcs;

/// <summary>
/// Checks a request's Signature Version 4 as AWS does for header-signed requests: the credential scope (key, date,
/// region, service), the signed headers (host and x-amz-date must be among them), the request time (at most 5 minutes
/// off), then the signature itself, recomputed here from the canonical request with the key the test gave. Built apart
/// from <see cref="Slipway.Tools.Aws.SigV4Signer"/> on purpose: a verifier sharing the signer's code could not catch its mistakes.
/// </summary>
internal sealed class SigV4Verifier(string accessKeyId, string secretAccessKey, string? sessionToken, string region, Func<DateTimeOffset> clock)
{
    private const string Algorithm = "AWS4-HMAC-SHA256";
    private static readonly TimeSpan AllowedSkew = TimeSpan.FromMinutes(5);

    /// <summary>Null when the request is signed for <paramref name="service"/> by the known key; else AWS's refusal.</summary>
    public AwsError? Refusal(ReceivedRequest request, string service)
    {
        var authorization = request.Header("Authorization");
        if (authorization is null)
            return new AwsError(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
        if (!authorization.StartsWith(Algorithm + " ", StringComparison.Ordinal))
            return Incomplete($"Unsupported signature algorithm in Authorization header; expected {Algorithm}.");

        var fields = authorization[(Algorithm.Length + 1)..]
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
        if (!fields.TryGetValue("Credential", out var credential) || !fields.TryGetValue("SignedHeaders", out var signedHeaderList) || !fields.TryGetValue("Signature", out var signature))
            return Incomplete("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.");

        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request")
            return Incomplete($"Credential should be of the form <key>/<date>/<region>/<service>/aws4_request; got '{credential}'.");
        var (key, scopeDate, scopeRegion, scopeService) = (scope[0], scope[1], scope[2], scope[3]);
        if (key != accessKeyId)
            return new AwsError(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
        if (sessionToken is not null && request.Header("X-Amz-Security-Token") != sessionToken)
            return new AwsError(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
        if (scopeRegion != region)
            return Invalid($"Credential should be scoped to a valid region, not '{scopeRegion}'. ");
        if (scopeService != service)
            return Invalid($"Credential should be scoped to correct service: '{service}'. ");

        var amzDate = request.Header("X-Amz-Date");
        if (amzDate is null || !DateTimeOffset.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var signedAt))
            return Incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
        if (!amzDate.StartsWith(scopeDate, StringComparison.Ordinal))
            return Invalid($"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scopeDate}' != '{amzDate[..8]}', from '{amzDate}'.");
        var now = clock();
        if ((now - signedAt).Duration() > AllowedSkew)
            return Invalid($"Signature expired: {amzDate} is now earlier than {(now - AllowedSkew).UtcDateTime:yyyyMMdd'T'HHmmss'Z'} ({now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'} - 5 min.)");

        var signedHeaders = signedHeaderList.Split(';');
        if (!signedHeaders.Contains("host"))
            return Invalid("'Host' must be a signed header.");
        if (!signedHeaders.Contains("x-amz-date"))
            return Invalid("'X-Amz-Date' must be a signed header.");
        if (signedHeaders.FirstOrDefault(h => request.Header(h) is null) is { } missing)
            return Invalid($"The request signature we calculated does not match the signature you provided: signed header '{missing}' is absent.");

        var expected = Signature(request, signedHeaders, amzDate, $"{scopeDate}/{region}/{service}/aws4_request", scopeDate, service);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature))
            ? null
            : Invalid("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
    }

    private string Signature(ReceivedRequest request, string[] signedHeaders, string amzDate, string scope, string date, string service)
    {
        var (path, query) = SplitUrl(request.RawUrl);
        var canonical = new StringBuilder()
            .Append(request.Method).Append('\n')
            .Append(path).Append('\n')
            .Append(query).Append('\n');
        foreach (var name in signedHeaders)
            canonical.Append(name).Append(':').Append(Collapse(request.Header(name)!)).Append('\n');
        canonical.Append('\n').Append(string.Join(';', signedHeaders)).Append('\n').Append(Hex(SHA256.HashData(request.Body)));

        var stringToSign = $"{Algorithm}\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))}";
        var signingKey = Hmac(Hmac(Hmac(Hmac(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), date), region), service), "aws4_request");
        return Hex(Hmac(signingKey, stringToSign));
    }

    // The AWS JSON protocol posts to "/" with no query; anything else is signed as its raw, already-encoded form.
    private static (string Path, string Query) SplitUrl(string rawUrl)
    {
        var question = rawUrl.IndexOf('?', StringComparison.Ordinal);
        if (question < 0)
            return (rawUrl, "");
        var pairs = rawUrl[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal);
        return (rawUrl[..question], string.Join('&', pairs));
    }

    private static string Collapse(string value) => string.Join(' ', value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private static AwsError Invalid(string message) => new(403, "InvalidSignatureException", message);

    private static AwsError Incomplete(string message) => new(403, "IncompleteSignatureException", message);
}

/// <summary>An AWS JSON-protocol error: HTTP status, the __type code and its message.</summary>
internal sealed record AwsError(int Status, string Code, string Message);

/// <summary>An AWS error raised while handling a request; the server turns it into the JSON error body.</summary>
internal sealed class AwsErrorException(int status, string code, string message) : Exception(message)
{
    public AwsError Error { get; } = new(status, code, message);

    public static AwsErrorException Client(string message) => new(400, "ClientException", message);

    public static AwsErrorException InvalidParameter(string message) => new(400, "InvalidParameterException", message);
}
