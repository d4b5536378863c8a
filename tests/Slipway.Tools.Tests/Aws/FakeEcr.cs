using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Slipway.Tools.Tests.Aws;

/// <summary>
/// A fake of the ECR control plane (AWS cannot be reached from here). It speaks ECR's real wire format: JSON 1.1
/// requests with X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.*, and the response and error bodies AWS
/// documents for GetAuthorizationToken and CreateRepository. It checks the SigV4 Authorization header with its
/// own, independent signature computation and rejects a wrong signature the way AWS does.
/// </summary>
internal sealed partial class FakeEcr : IDisposable
{
    public const string AccessKeyId = "AKIAIOSFODNN7EXAMPLE";
    public const string SecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    public const string Region = "eu-west-1";
    public const string Account = "123456789012";

    private readonly LoopbackHttpServer server;
    private readonly HashSet<string> repositories = [];

    public FakeEcr(string registryUser = "AWS", string registryPassword = "ecr-token-password", string? proxyEndpoint = null)
    {
        RegistryUser = registryUser;
        RegistryPassword = registryPassword;
        ProxyEndpoint = proxyEndpoint ?? $"https://{Account}.dkr.ecr.{Region}.amazonaws.com";
        server = new LoopbackHttpServer(Handle);
    }

    public Uri Url => server.Url;

    public string RegistryUser { get; }

    public string RegistryPassword { get; }

    public string ProxyEndpoint { get; }

    public IReadOnlyList<ReceivedRequest> Requests => server.Requests;

    public IReadOnlyCollection<string> Repositories => repositories;

    public void AddExistingRepository(string name) => repositories.Add(name);

    private Reply Handle(ReceivedRequest request)
    {
        if (request.Method != "POST" || request.RawUrl != "/")
            return Error(404, "UnknownOperationException", $"{request.Method} {request.RawUrl}");
        if (request.Header("Content-Type") != "application/x-amz-json-1.1")
            return Error(400, "SerializationException", "Content-Type must be application/x-amz-json-1.1");
        if (VerifySignature(request) is { } signatureError)
            return signatureError;

        var body = JsonNode.Parse(request.Text)!.AsObject();
        return request.Header("X-Amz-Target") switch
        {
            "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken" => GetAuthorizationToken(),
            "AmazonEC2ContainerRegistry_V20150921.CreateRepository" => CreateRepository(body),
            var other => Error(400, "UnknownOperationException", $"unknown X-Amz-Target {other}"),
        };
    }

    private Reply GetAuthorizationToken()
    {
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{RegistryUser}:{RegistryPassword}"));
        return Json($$"""{"authorizationData":[{"authorizationToken":"{{token}}","expiresAt":1.7356896E9,"proxyEndpoint":"{{ProxyEndpoint}}"}]}""");
    }

    private Reply CreateRepository(JsonObject body)
    {
        var name = body["repositoryName"]?.GetValue<string>();
        if (name is null)
            return Error(400, "InvalidParameterException", "repositoryName is required");
        if (body["imageTagMutability"]?.GetValue<string>() != "IMMUTABLE" || body["imageScanningConfiguration"]?["scanOnPush"]?.GetValue<bool>() != true)
            return Error(400, "InvalidParameterException", "this fake only accepts immutable, scan-on-push repositories");
        if (!repositories.Add(name))
            return Error(400, "RepositoryAlreadyExistsException", $"The repository with name '{name}' already exists in the registry with id '{Account}'");
        return Json(new JsonObject
        {
            ["repository"] = new JsonObject
            {
                ["createdAt"] = 1.7356032E9,
                ["encryptionConfiguration"] = new JsonObject { ["encryptionType"] = "AES256" },
                ["imageScanningConfiguration"] = new JsonObject { ["scanOnPush"] = true },
                ["imageTagMutability"] = "IMMUTABLE",
                ["registryId"] = Account,
                ["repositoryArn"] = $"arn:aws:ecr:{Region}:{Account}:repository/{name}",
                ["repositoryName"] = name,
                ["repositoryUri"] = $"{Account}.dkr.ecr.{Region}.amazonaws.com/{name}",
            },
        }.ToJsonString());
    }

    private Reply? VerifySignature(ReceivedRequest request)
    {
        var match = AuthorizationPattern().Match(request.Header("Authorization") ?? "");
        if (!match.Success)
            return Error(400, "MissingAuthenticationTokenException", "Missing Authentication Token");
        var (keyId, date, region, service, signedHeaders, signature) =
            (match.Groups["key"].Value, match.Groups["date"].Value, match.Groups["region"].Value, match.Groups["service"].Value,
                match.Groups["signed"].Value, match.Groups["signature"].Value);
        if (keyId != AccessKeyId)
            return Error(400, "UnrecognizedClientException", "The security token included in the request is invalid.");
        if ((region, service) != (Region, "ecr"))
            return Error(400, "InvalidSignatureException", $"Credential should be scoped to a valid region/service, not '{region}/{service}'.");
        var names = signedHeaders.Split(';');
        foreach (var required in new[] { "host", "x-amz-date", "x-amz-target", "content-type" })
        {
            if (!names.Contains(required))
                return Error(400, "InvalidSignatureException", $"'{required}' must be a signed header.");
        }

        // SigV4 computed independently of the client under test.
        var amzDate = request.Header("X-Amz-Date") ?? "";
        var canonical = new StringBuilder("POST\n/\n\n");
        foreach (var name in names)
            canonical.Append(name).Append(':').Append(request.Header(name)?.Trim()).Append('\n');
        canonical.Append('\n').Append(signedHeaders).Append('\n').Append(Hex(SHA256.HashData(request.Body)));
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{date}/{region}/{service}/aws4_request\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))}";
        var key = Encoding.UTF8.GetBytes("AWS4" + SecretAccessKey);
        foreach (var part in new[] { date, region, service, "aws4_request" })
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        var expected = Hex(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
        if (expected != signature || !amzDate.StartsWith(date, StringComparison.Ordinal))
            return Error(403, "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.");
        return null;
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLower(CultureInfo.InvariantCulture);

    private static Reply Json(string body) => new(200, "application/x-amz-json-1.1", body);

    private static Reply Error(int status, string type, string message) =>
        new(status, "application/x-amz-json-1.1", new JsonObject { ["__type"] = type, ["message"] = message }.ToJsonString());

    [GeneratedRegex("^AWS4-HMAC-SHA256 Credential=(?<key>[^/]+)/(?<date>\\d{8})/(?<region>[^/]+)/(?<service>[^/]+)/aws4_request, SignedHeaders=(?<signed>[a-z0-9;-]+), Signature=(?<signature>[0-9a-f]{64})$")]
    private static partial Regex AuthorizationPattern();

    public void Dispose() => server.Dispose();
}
