using System.Text;
using System.Text.Json.Nodes;

namespace Slipway.Delivery.Tests.Publishing;

/// <summary>
/// A fake of the ECR control plane on 127.0.0.1 (AWS cannot be reached from here), replaying ECR's JSON 1.1 wire
/// format: GetAuthorizationToken answers with a token for the real test registry (the data plane), and
/// CreateRepository with the documented repository document or RepositoryAlreadyExistsException. SigV4 itself is
/// verified independently in Slipway.Tools.Tests (FakeEcr); here a signed Authorization header is required.
/// </summary>
internal sealed class FakeEcrControlPlane : IDisposable
{
    private readonly LoopbackHttpServer server;
    private readonly string token;
    private readonly string proxyEndpoint;

    public FakeEcrControlPlane(string registryUser, string registryPassword, string proxyEndpoint)
    {
        token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{registryUser}:{registryPassword}"));
        this.proxyEndpoint = proxyEndpoint;
        server = new LoopbackHttpServer(Answer);
    }

    public Uri Url => server.Url;

    public List<JsonObject> CreateRepositoryRequests { get; } = [];

    public HashSet<string> Repositories { get; } = [];

    private Reply Answer(ReceivedRequest request)
    {
        var body = JsonNode.Parse(request.Text)!.AsObject();
        var (status, reply) = request.Header("Authorization")?.StartsWith("AWS4-HMAC-SHA256 Credential=", StringComparison.Ordinal) != true
            ? (400, Error("MissingAuthenticationTokenException", "Missing Authentication Token"))
            : request.Header("X-Amz-Target") switch
            {
                "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken" =>
                    (200, $$"""{"authorizationData":[{"authorizationToken":"{{token}}","expiresAt":1.7356896E9,"proxyEndpoint":"{{proxyEndpoint}}"}]}"""),
                "AmazonEC2ContainerRegistry_V20150921.CreateRepository" => CreateRepository(body),
                var other => (400, Error("UnknownOperationException", $"unknown operation {other}")),
            };
        return new Reply(status, "application/x-amz-json-1.1", reply);
    }

    private (int, string) CreateRepository(JsonObject body)
    {
        lock (CreateRepositoryRequests)
            CreateRepositoryRequests.Add(body);
        var name = body["repositoryName"]!.GetValue<string>();
        if (!Repositories.Add(name))
            return (400, Error("RepositoryAlreadyExistsException", $"The repository with name '{name}' already exists in the registry with id '123456789012'"));
        return (200, new JsonObject
        {
            ["repository"] = new JsonObject
            {
                ["repositoryName"] = name,
                ["repositoryArn"] = $"arn:aws:ecr:eu-west-1:123456789012:repository/{name}",
                ["repositoryUri"] = $"123456789012.dkr.ecr.eu-west-1.amazonaws.com/{name}",
                ["imageTagMutability"] = body["imageTagMutability"]?.DeepClone(),
                ["imageScanningConfiguration"] = body["imageScanningConfiguration"]?.DeepClone(),
            },
        }.ToJsonString());
    }

    private static string Error(string type, string message) => new JsonObject { ["__type"] = type, ["message"] = message }.ToJsonString();

    public void Dispose() => server.Dispose();
}
