using System.Net;
using System.Net.Sockets;
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
    private readonly HttpListener listener = new();
    private readonly Task loop;
    private readonly string token;
    private readonly string proxyEndpoint;

    public FakeEcrControlPlane(string registryUser, string registryPassword, string proxyEndpoint)
    {
        token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{registryUser}:{registryPassword}"));
        this.proxyEndpoint = proxyEndpoint;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/");
        probe.Stop();
        listener.Prefixes.Add(Url.ToString());
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    public Uri Url { get; }

    public List<JsonObject> CreateRepositoryRequests { get; } = [];

    public HashSet<string> Repositories { get; } = [];

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            var body = JsonNode.Parse(await new StreamReader(context.Request.InputStream).ReadToEndAsync())!.AsObject();
            var (status, reply) = context.Request.Headers["Authorization"]?.StartsWith("AWS4-HMAC-SHA256 Credential=", StringComparison.Ordinal) != true
                ? (400, Error("MissingAuthenticationTokenException", "Missing Authentication Token"))
                : context.Request.Headers["X-Amz-Target"] switch
                {
                    "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken" =>
                        (200, $$"""{"authorizationData":[{"authorizationToken":"{{token}}","expiresAt":1.7356896E9,"proxyEndpoint":"{{proxyEndpoint}}"}]}"""),
                    "AmazonEC2ContainerRegistry_V20150921.CreateRepository" => CreateRepository(body),
                    var other => (400, Error("UnknownOperationException", $"unknown operation {other}")),
                };
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/x-amz-json-1.1";
            await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(reply));
            context.Response.Close();
        }
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

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        loop.Wait(TimeSpan.FromSeconds(5));
    }
}
