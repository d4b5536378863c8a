using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;

namespace Slipway.Tools.Aws;

/// <summary>A registry login from ECR GetAuthorizationToken. ToString never shows the password.</summary>
public sealed record EcrAuthorization(string User, string Password, Uri ProxyEndpoint, DateTimeOffset ExpiresAt)
{
    public override string ToString() => $"ECR login {User}@{ProxyEndpoint.Authority} (expires {ExpiresAt:u})";
}

/// <summary>An ECR repository, and whether this call created it.</summary>
public sealed record EcrRepository(string Name, string? Uri, bool Created);

/// <summary>ECR answered with an error, or could not be reached.</summary>
public sealed class EcrException(string message, string? errorType = null, Exception? inner = null) : Exception(message, inner)
{
    public string? ErrorType { get; } = errorType;
}

/// <summary>
/// The two ECR control-plane calls the pipeline needs, over ECR's JSON 1.1 protocol
/// (POST /, X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.Operation), signed with SigV4 (service "ecr").
/// The endpoint is <paramref name="endpoint"/>, else AWS's endpoint variables AWS_ENDPOINT_URL_ECR or AWS_ENDPOINT_URL,
/// else the region's.
/// </summary>
public sealed class EcrClient(HttpClient http, ImmutableCredentials credentials, string region, Uri? endpoint = null, TimeProvider? clock = null)
{
    private const string TargetPrefix = "AmazonEC2ContainerRegistry_V20150921.";

    public Uri Endpoint { get; } = endpoint ?? ConfiguredEndpoint() ?? DefaultEndpoint(region);

    private static Uri? ConfiguredEndpoint() =>
        (Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_ECR") ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL")) is { Length: > 0 } url ? new Uri(url) : null;

    public static Uri DefaultEndpoint(string region) => new($"https://api.ecr.{region}.amazonaws.com/");

    public async Task<EcrAuthorization> GetAuthorizationTokenAsync(CancellationToken cancellationToken)
    {
        var response = await CallAsync("GetAuthorizationToken", new JsonObject(), cancellationToken);
        var data = response["authorizationData"]?.AsArray().FirstOrDefault()
            ?? throw new EcrException("ECR GetAuthorizationToken returned no authorizationData");
        var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(data["authorizationToken"]!.GetValue<string>()));
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
            throw new EcrException("ECR GetAuthorizationToken returned a token that is not 'user:password'");
        var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds((long)(data["expiresAt"]!.GetValue<double>() * 1000));
        return new EcrAuthorization(decoded[..colon], decoded[(colon + 1)..], new Uri(data["proxyEndpoint"]!.GetValue<string>()), expiresAt);
    }

    /// <summary>CreateRepository with immutable tags and scan on push; an existing repository is left as it is.</summary>
    public async Task<EcrRepository> EnsureRepositoryAsync(string name, CancellationToken cancellationToken)
    {
        var request = new JsonObject
        {
            ["repositoryName"] = name,
            ["imageTagMutability"] = "IMMUTABLE",
            ["imageScanningConfiguration"] = new JsonObject { ["scanOnPush"] = true },
        };
        try
        {
            var response = await CallAsync("CreateRepository", request, cancellationToken);
            return new EcrRepository(name, response["repository"]?["repositoryUri"]?.GetValue<string>(), Created: true);
        }
        catch (EcrException e) when (e.ErrorType == "RepositoryAlreadyExistsException")
        {
            return new EcrRepository(name, null, Created: false);
        }
    }

    private async Task<JsonNode> CallAsync(string operation, JsonObject body, CancellationToken cancellationToken)
    {
        var payload = Encoding.UTF8.GetBytes(body.ToJsonString());
        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = new ByteArrayContent(payload) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-amz-json-1.1");
        var target = TargetPrefix + operation;
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        var signed = SigV4Signer.Sign(
            "POST",
            Endpoint,
            [new("Content-Type", "application/x-amz-json-1.1"), new("X-Amz-Target", target)],
            payload,
            credentials,
            region,
            "ecr",
            (clock ?? TimeProvider.System).GetUtcNow());
        foreach (var (name, value) in signed)
            request.Headers.TryAddWithoutValidation(name, value);

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new EcrException($"ECR not reachable at {Endpoint}: {e.Message}", inner: e);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonNode? json;
            try
            {
                json = text.Length == 0 ? new JsonObject() : JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                json = null;
            }

            if (response.IsSuccessStatusCode && json is not null)
                return json;

            // Errors carry "__type" (sometimes namespaced "com.amazonaws...#Type") and "message" or "Message".
            var type = json?["__type"]?.GetValue<string>() is { } t ? t[(t.LastIndexOf('#') + 1)..] : null;
            var message = json?["message"]?.GetValue<string>() ?? json?["Message"]?.GetValue<string>() ?? response.ReasonPhrase;
            throw new EcrException($"ECR {operation} failed ({(int)response.StatusCode} {type ?? "error"}): {message}", type);
        }
    }
}
