using System.Net;
using System.Text;
using Slipway.Delivery.Deployment.DynamoDb;
using Slipway.Delivery.Tests.Deployment.TestStack;

namespace Slipway.Delivery.Tests.Deployment.DynamoDb;

/// <summary>What <see cref="FaultyDynamoDb"/> does to a request instead of passing it on.</summary>
public enum DynamoDbFault
{
    /// <summary>400 ProvisionedThroughputExceededException: the table's (or partition's) capacity is used up.</summary>
    ProvisionedThroughputExceeded,

    /// <summary>400 ThrottlingException (coral's availability namespace): requests come too fast.</summary>
    Throttling,

    /// <summary>400 AccessDeniedException (coral's service namespace): the caller's policy does not allow the action.</summary>
    AccessDenied,

    /// <summary>500 InternalServerError, the request not applied.</summary>
    InternalServerError,

    /// <summary>The request is passed on and applied, then its answer is replaced by a 500: the caller cannot tell it was.</summary>
    AppliedThenInternalServerError,

    /// <summary>The connection is closed without an answer, the request not applied.</summary>
    Dropped,

    /// <summary>No answer until the caller gives up (or the proxy is disposed).</summary>
    Hang,
}

/// <summary>
/// A proxy on 127.0.0.1 between the AWS SDK and dynalite that, on chosen requests (by X-Amz-Target operation, and
/// optionally by what the body names, so many times), fails them the way DynamoDB does: dynalite never throttles, denies,
/// fails or hangs. The failures replay DynamoDB's documented wire format (Developer Guide, "Error handling with
/// DynamoDB": an HTTP status, Content-Type application/x-amz-json-1.0, and a JSON body of "__type" (the exception's
/// namespace#name) and "message"; AccessDeniedException and ThrottlingException come from the common coral namespaces,
/// as AWS sends them), so the SDK parses and retries them as it would DynamoDB's. Everything else passes through unchanged.
/// </summary>
public sealed class FaultyDynamoDb : IDisposable
{
    private const string Json = "application/x-amz-json-1.0";

    /// <summary>Headers each side sets for itself.</summary>
    private static readonly HashSet<string> NotCopied = new(StringComparer.OrdinalIgnoreCase) { "Host", "Content-Length", "Connection", "Transfer-Encoding", "Expect", "Keep-Alive", "Date", "Server" };

    private readonly Dynalite dynalite;
    private readonly HttpListener listener = new();
    private readonly HttpClient upstream = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly CancellationTokenSource closing = new();
    private readonly List<Rule> rules = [];
    private readonly List<(string Operation, DynamoDbFault? Fault)> seen = [];
    private readonly Task serving;

    public FaultyDynamoDb(Dynalite dynalite)
    {
        this.dynalite = dynalite;
        Endpoint = $"http://127.0.0.1:{DeployTestStack.FreePort()}";
        listener.Prefixes.Add(Endpoint + "/");
        listener.Start();
        serving = Task.Run(ServeAsync);
    }

    public string Endpoint { get; }

    /// <summary>A store reaching dynalite through this proxy, as a CI runner of its own would make it.</summary>
    public DynamoDbReleaseStore Store(string environment, TimeSpan? lease = null) =>
        new(new DynamoDbLocation(dynalite.Table, Dynalite.Region), environment, name => name == "AWS_ENDPOINT_URL_DYNAMODB" ? Endpoint : null, Dynalite.Credentials, lease);

    /// <summary>Fails the next <paramref name="times"/> <paramref name="operation"/> requests (whose body contains <paramref name="naming"/>, when given).</summary>
    public FaultyDynamoDb Fail(string operation, DynamoDbFault fault, int times = 1, string? naming = null)
    {
        lock (rules)
            rules.Add(new Rule(operation, naming, fault, times));
        return this;
    }

    /// <summary>Fails every such request from now on, until <see cref="Heal"/>.</summary>
    public FaultyDynamoDb FailAlways(string operation, DynamoDbFault fault, string? naming = null) => Fail(operation, fault, int.MaxValue, naming);

    /// <summary>Lets every request through again.</summary>
    public void Heal()
    {
        lock (rules)
            rules.Clear();
    }

    /// <summary>The requests of <paramref name="operation"/> seen so far (failed or passed on).</summary>
    public int Requests(string operation)
    {
        lock (seen)
            return seen.Count(s => s.Operation == operation);
    }

    /// <summary>The requests of <paramref name="operation"/> failed so far.</summary>
    public int Failed(string operation)
    {
        lock (seen)
            return seen.Count(s => s.Operation == operation && s.Fault is not null);
    }

    public void Dispose()
    {
        closing.Cancel();
        // Close alone: after Stop, Close would bind the port again to remove a listener Stop already removed, and fail
        // when the port is taken meanwhile (or still has connections in TIME_WAIT).
        listener.Close();
        serving.Wait(TimeSpan.FromSeconds(5));
        upstream.Dispose();
        closing.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!closing.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        try
        {
            using var buffer = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(buffer);
            var body = buffer.ToArray();
            var operation = (context.Request.Headers["X-Amz-Target"] ?? "").Split('.').Last();
            var fault = Take(operation, Encoding.UTF8.GetString(body));
            lock (seen)
                seen.Add((operation, fault));
            switch (fault)
            {
                case null:
                    await PassAsync(context, body);
                    break;
                case DynamoDbFault.Dropped:
                    context.Response.Abort();
                    break;
                case DynamoDbFault.Hang:
                    await Task.Delay(Timeout.InfiniteTimeSpan, closing.Token);
                    break;
                case DynamoDbFault.AppliedThenInternalServerError:
                    using (await ForwardAsync(context, body))
                        await ErrorAsync(context, operation, DynamoDbFault.InternalServerError);
                    break;
                default:
                    await ErrorAsync(context, operation, fault.Value);
                    break;
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or HttpRequestException or OperationCanceledException)
        {
            // The caller gave up on it (a cancelled renewal), or the proxy is closing (which ends a hung request).
        }
    }

    private DynamoDbFault? Take(string operation, string body)
    {
        lock (rules)
        {
            var rule = rules.FirstOrDefault(r => r.Left > 0 && r.Operation == operation && (r.Naming is null || body.Contains(r.Naming, StringComparison.Ordinal)));
            if (rule is null)
                return null;
            rule.Left--;
            return rule.Fault;
        }
    }

    private async Task<HttpResponseMessage> ForwardAsync(HttpListenerContext context, byte[] body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.HttpMethod), dynalite.Endpoint + context.Request.RawUrl)
        {
            Content = new ByteArrayContent(body),
        };
        foreach (var name in context.Request.Headers.AllKeys.OfType<string>().Where(n => !NotCopied.Contains(n)))
        {
            var value = context.Request.Headers[name]!;
            if (!request.Headers.TryAddWithoutValidation(name, value))
                request.Content.Headers.TryAddWithoutValidation(name, value);
        }

        return await upstream.SendAsync(request, closing.Token);
    }

    private async Task PassAsync(HttpListenerContext context, byte[] body)
    {
        using var answer = await ForwardAsync(context, body);
        var bytes = await answer.Content.ReadAsByteArrayAsync(closing.Token);
        context.Response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers).Where(h => !NotCopied.Contains(h.Key)))
            context.Response.Headers[name] = string.Join(",", values);
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes, closing.Token);
        context.Response.Close();
    }

    /// <summary>DynamoDB's error answer for <paramref name="fault"/>, as documented: status, JSON content type, __type and message.</summary>
    private static async Task ErrorAsync(HttpListenerContext context, string operation, DynamoDbFault fault)
    {
        var (status, type, message) = fault switch
        {
            DynamoDbFault.ProvisionedThroughputExceeded => (400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."),
            DynamoDbFault.Throttling => (400, "com.amazon.coral.availability#ThrottlingException", "Rate of requests exceeds the allowed throughput."),
            DynamoDbFault.AccessDenied => (400, "com.amazon.coral.service#AccessDeniedException",
                $"User: arn:aws:sts::123456789012:assumed-role/slipway-prod-github-deploy/GitHubActions is not authorized to perform: dynamodb:{operation} on resource: arn:aws:dynamodb:eu-west-1:123456789012:table/slipway-test-delivery because no identity-based policy allows the dynamodb:{operation} action"),
            _ => (500, "com.amazonaws.dynamodb.v20120810#InternalServerError", "Internal server error"),
        };
        var bytes = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["__type"] = type, ["message"] = message }));
        context.Response.StatusCode = status;
        context.Response.ContentType = Json;
        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString("N").ToUpperInvariant();
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    private sealed class Rule(string operation, string? naming, DynamoDbFault fault, int times)
    {
        public string Operation { get; } = operation;

        public string? Naming { get; } = naming;

        public DynamoDbFault Fault { get; } = fault;

        public int Left { get; set; } = times;
    }
}
