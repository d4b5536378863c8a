using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Slipway.Delivery.Tests.GitHub;

/// <summary>
/// A fake of GitHub's REST API on 127.0.0.1 (GitHub cannot be reached from here). It replays the responses under
/// Responses/, which follow the documented response shapes and examples of GitHub's REST reference ("Get the combined
/// status for a specific reference", "List check runs for a Git reference", "Create a deployment", "Create a deployment
/// status", "Create a release", and its error bodies), with GitHub's status codes (200, 201, 401, 403, 404, 422).
/// Requests without "Authorization: token …" are answered 401 as GitHub answers a private repository.
/// </summary>
internal sealed partial class FakeGitHub : IDisposable
{
    public const string Repository = "octo-org/slipway";
    public const string Commit = "6dcb09b5b57875f334f61aebed695e2e4193db5e";

    private readonly LoopbackHttpServer server;

    public FakeGitHub() => server = new LoopbackHttpServer(Answer);

    public Uri Url => server.Url;

    /// <summary>The response file for GET …/commits/{ref}/status.</summary>
    public string CombinedStatus { get; set; } = "combined-status-success.json";

    /// <summary>The response file for GET …/commits/{ref}/check-runs.</summary>
    public string CheckRuns { get; set; } = "check-runs-success.json";

    /// <summary>When set, every request is answered with this status and response file (an error GitHub documents).</summary>
    public (int Status, string File)? Failure { get; set; }

    public IReadOnlyList<ReceivedRequest> Requests
    {
        get
        {
            lock (server.Requests)
                return server.Requests.ToList();
        }
    }

    /// <summary>The requests as "METHOD path" (query left out), in the order received.</summary>
    public IReadOnlyList<string> Calls => Requests.Select(r => $"{r.Method} {r.RawUrl.Split('?')[0]}").ToList();

    public static string Response(string file) => File.ReadAllText(RepositoryRoot.Combine("tests", "Slipway.Delivery.Tests", "GitHub", "Responses", file));

    public static JsonObject BodyOf(ReceivedRequest request) => JsonNode.Parse(request.Text)!.AsObject();

    private Reply Answer(ReceivedRequest request)
    {
        if (request.Header("Authorization")?.StartsWith("token ", StringComparison.OrdinalIgnoreCase) != true)
            return Json(401, "bad-credentials.json");
        if (Failure is { } failure)
            return Json(failure.Status, failure.File);
        var path = request.RawUrl.Split('?')[0];
        return (request.Method, path) switch
        {
            ("GET", var p) when p == $"/repos/{Repository}/commits/{Commit}/status" => Json(200, CombinedStatus),
            ("GET", var p) when p == $"/repos/{Repository}/commits/{Commit}/check-runs" => Json(200, CheckRuns),
            ("POST", var p) when p == $"/repos/{Repository}/deployments" => Json(201, "deployment-created.json"),
            ("POST", var p) when DeploymentStatuses().IsMatch(p) => Json(201, "deployment-status-created.json"),
            ("POST", var p) when p == $"/repos/{Repository}/releases" => Json(201, "release-created.json"),
            _ => new Reply(404, "application/json; charset=utf-8", """{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}"""),
        };
    }

    private static Reply Json(int status, string file) => new(status, "application/json; charset=utf-8", Response(file));

    public void Dispose() => server.Dispose();

    [GeneratedRegex($"^/repos/{Repository}/deployments/1/statuses$")]
    private static partial Regex DeploymentStatuses();
}
