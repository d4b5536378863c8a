using System.Net.Http.Headers;
using System.Text.Json;
using Amazon.Runtime;

namespace Slipway.Tools.Aws;

/// <summary>An AWS service answered with an error code (its "__type", unqualified), or could not be reached in time.</summary>
public sealed class AwsServiceException(string message, string operation, string? code, int status, Exception? inner = null) : Exception(message, inner)
{
    public string Operation { get; } = operation;

    /// <summary>AWS's error code, e.g. ServiceNotFoundException; null when no answer came.</summary>
    public string? Code { get; } = code;

    /// <summary>The HTTP status; 0 when no answer came.</summary>
    public int Status { get; } = status;

    /// <summary>AWS's own message, as it sent it.</summary>
    public string? AwsMessage { get; init; }
}

/// <summary>How patient a client is: each call's timeout, and the retries of throttled calls.</summary>
/// <param name="Timeout">One HTTP exchange, answer included.</param>
/// <param name="Retries">Retries of a throttled call or a 5xx answer after the first attempt.</param>
/// <param name="BaseDelay">Backoff before the first retry; doubled each time, with full jitter, up to <paramref name="MaxDelay"/>.</param>
public sealed record AwsCallPolicy(TimeSpan Timeout, int Retries, TimeSpan BaseDelay, TimeSpan MaxDelay)
{
    public static AwsCallPolicy Default { get; } = new(TimeSpan.FromSeconds(30), 5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10));

    /// <summary>Full jitter (AWS's "Exponential Backoff And Jitter"): a uniform wait up to base × 2^attempt, capped.</summary>
    public TimeSpan Backoff(int attempt, Random random)
    {
        var ceiling = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, attempt));
        return TimeSpan.FromMilliseconds(random.NextDouble() * ceiling);
    }
}

/// <summary>
/// One AWS service over the JSON 1.1 protocol: POST / with X-Amz-Target: &lt;prefix&gt;.&lt;Operation&gt;, signed with SigV4.
/// Throttling (ThrottlingException, ThrottledException, TooManyRequestsException, RequestLimitExceeded) and 5xx answers are
/// retried with backoff (<see cref="AwsCallPolicy"/>); any other error is an <see cref="AwsServiceException"/> with AWS's code.
/// </summary>
public sealed class AwsJsonClient(HttpClient http, ImmutableCredentials credentials, string region, string signingName, string targetPrefix, Uri endpoint, AwsCallPolicy? policy = null, TimeProvider? clock = null)
{
    private static readonly HashSet<string> Throttles = new(StringComparer.Ordinal)
    {
        "ThrottlingException", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded", "Throttling", "RequestThrottled",
    };

    public Uri Endpoint => endpoint;

    public AwsCallPolicy Policy { get; } = policy ?? AwsCallPolicy.Default;

    /// <summary>The endpoint of a service as the AWS SDKs choose it: AWS_ENDPOINT_URL_&lt;SERVICE&gt;, else AWS_ENDPOINT_URL, else the region's.</summary>
    public static Uri EndpointFor(string serviceVariable, string hostPrefix, string region, Func<string, string?>? variable = null)
    {
        variable ??= Environment.GetEnvironmentVariable;
        return (variable($"AWS_ENDPOINT_URL_{serviceVariable}") ?? variable("AWS_ENDPOINT_URL")) is { Length: > 0 } url
            ? new Uri(url)
            : new Uri($"https://{hostPrefix}.{region}.amazonaws.com/");
    }

    /// <summary>Calls <paramref name="operation"/> with <paramref name="request"/> serialized as AWS names its fields.</summary>
    public async Task<TResponse> CallAsync<TRequest, TResponse>(string operation, TRequest request, CancellationToken ct)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(request, AwsJson.Options);
        var random = Random.Shared;
        for (var attempt = 0; ; attempt++)
        {
            var (status, text, failure) = await SendAsync(operation, payload, ct).ConfigureAwait(false);
            if (failure is null && status is >= 200 and < 300)
                return JsonSerializer.Deserialize<TResponse>(text.Length == 0 ? "{}" : text, AwsJson.Options)!;
            var error = failure ?? Error(operation, status, text);
            var retryable = error.Status >= 500 || (error.Code is { } code && Throttles.Contains(code)) || (failure is not null && !ct.IsCancellationRequested);
            if (!retryable || attempt >= Policy.Retries)
                throw error;
            await Task.Delay(Policy.Backoff(attempt, random), ct).ConfigureAwait(false);
        }
    }

    private async Task<(int Status, string Text, AwsServiceException? Failure)> SendAsync(string operation, byte[] payload, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(payload) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-amz-json-1.1");
        var target = $"{targetPrefix}.{operation}";
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        var signed = SigV4Signer.Sign("POST", endpoint, [new("Content-Type", "application/x-amz-json-1.1"), new("X-Amz-Target", target)],
            payload, credentials, region, signingName, (clock ?? TimeProvider.System).GetUtcNow());
        foreach (var (name, value) in signed)
            request.Headers.TryAddWithoutValidation(name, value);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Policy.Timeout);
        try
        {
            using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false), null);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            return (0, "", new AwsServiceException($"{signingName} {operation}: no answer from {endpoint} within {Policy.Timeout.TotalSeconds:0} s", operation, null, 0, e));
        }
        catch (HttpRequestException e)
        {
            return (0, "", new AwsServiceException($"{signingName} {operation}: {endpoint} not reachable ({e.Message})", operation, null, 0, e));
        }
    }

    private AwsServiceException Error(string operation, int status, string text)
    {
        string? code = null, message = null;
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                // "__type" is sometimes namespaced ("com.amazonaws.ecs#ServiceNotFoundException"); message or Message.
                code = root.TryGetProperty("__type", out var type) ? type.GetString() is { } t ? t[(t.LastIndexOf('#') + 1)..] : null : null;
                message = root.TryGetProperty("message", out var m) ? m.GetString() : root.TryGetProperty("Message", out var m2) ? m2.GetString() : null;
            }
        }
        catch (JsonException)
        {
            message = text.Length > 200 ? text[..200] : text;
        }

        return new AwsServiceException($"{signingName} {operation} failed ({status} {code ?? "error"}): {message}", operation, code, status) { AwsMessage = message };
    }
}

/// <summary>Serialization as AWS's JSON protocols name fields: camelCase, nulls left out, timestamps as epoch seconds.</summary>
public static class AwsJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Converters = { new EpochSecondsConverter() },
    };

    private sealed class EpochSecondsConverter : System.Text.Json.Serialization.JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Number
                ? DateTimeOffset.FromUnixTimeMilliseconds((long)(reader.GetDouble() * 1000))
                : DateTimeOffset.Parse(reader.GetString()!, System.Globalization.CultureInfo.InvariantCulture);

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteNumberValue(value.ToUnixTimeMilliseconds() / 1000.0);
    }
}
