using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Deployment.DynamoDb;
using Slipway.Delivery.Tests.Deployment.TestStack;

namespace Slipway.Delivery.Tests.Deployment.DynamoDb;

/// <summary>A fact that needs dynalite (npm) and node; it fails naming them instead of skipping on CI.</summary>
public sealed class DynaliteFactAttribute : RealServerFactAttribute
{
    public DynaliteFactAttribute() =>
        Needs(NodeTools.Installed(Dynalite.Package), $"{Dynalite.Package} (npm, in .nuke/temp/node-tools) and node", RealServers.InstallTools);
}

/// <summary>
/// dynalite, a DynamoDB-compatible server (in memory), started as a node child on a free 127.0.0.1 port for one test
/// class and killed after it, with the table created as build/terraform/dynamodb.tf declares it.
/// </summary>
public sealed class Dynalite : IAsyncLifetime
{
    public const string Package = "dynalite";

    public const string Region = "eu-west-1";

    /// <summary>Any keys do: dynalite checks that requests are signed, not by whom.</summary>
    public static readonly AWSCredentials Credentials = new BasicAWSCredentials("AKIDSLIPWAYTEST", "dynalite-secret");

    private NodeProcess? server;

    public string Endpoint { get; private set; } = "";

    public string Table { get; } = "slipway-test-delivery";

    public AmazonDynamoDBClient Client { get; private set; } = null!;

    /// <summary>A store for <paramref name="environment"/>, as a CI runner of its own would make it.</summary>
    public DynamoDbReleaseStore Store(string environment, TimeSpan? lease = null, string? table = null) =>
        new(new DynamoDbLocation(table ?? Table, Region), environment, Variables, Credentials, lease);

    public string? Variables(string name) => name == "AWS_ENDPOINT_URL_DYNAMODB" ? Endpoint : null;

    public async Task InitializeAsync()
    {
        if (!NodeTools.Installed(Package))
            return; // the facts fail (or skip) naming it
        var port = DeployTestStack.FreePort();
        Endpoint = $"http://127.0.0.1:{port}";
        server = NodeTools.Start(RepositoryRoot.Path, [NodeTools.Path(Package, "cli.js"), "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--createTableMs", "0"]);
        await server.WaitForOutputAsync("listening", TimeSpan.FromSeconds(30));
        Client = new AmazonDynamoDBClient(Credentials, new AmazonDynamoDBConfig { ServiceURL = Endpoint, AuthenticationRegion = Region });
        await Client.CreateTableAsync(new CreateTableRequest
        {
            TableName = Table,
            BillingMode = BillingMode.PAY_PER_REQUEST,
            KeySchema = [new KeySchemaElement("pk", KeyType.HASH), new KeySchemaElement("sk", KeyType.RANGE)],
            AttributeDefinitions = [new AttributeDefinition("pk", ScalarAttributeType.S), new AttributeDefinition("sk", ScalarAttributeType.S)],
        });
        while ((await Client.DescribeTableAsync(Table)).Table.TableStatus != TableStatus.ACTIVE)
            await Task.Delay(20);
    }

    public Task DisposeAsync()
    {
        Client?.Dispose();
        server?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The lock item a deploy on another runner left, written as that runner's store writes it.</summary>
    public Task LeaveLockAsync(string environment, LockHolder holder, long version) =>
        Client.PutItemAsync(new PutItemRequest
        {
            TableName = Table,
            Item = new Dictionary<string, AttributeValue>
            {
                ["pk"] = new() { S = $"lock#{environment}" },
                ["sk"] = new() { S = "lock" },
                ["holder"] = new() { S = holder.ToString() },
                ["who"] = new() { S = holder.Who },
                ["host"] = new() { S = holder.Host },
                ["pid"] = new() { N = holder.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                ["since"] = new() { S = holder.Since.ToString("O", System.Globalization.CultureInfo.InvariantCulture) },
                ["leaseExpiresAt"] = new() { N = holder.Expires.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture) },
                ["version"] = new() { N = version.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            },
        });

    /// <summary>The items of a partition as they are in the table.</summary>
    public async Task<List<Dictionary<string, AttributeValue>>> ItemsAsync(string partition) =>
        (await Client.QueryAsync(new QueryRequest
        {
            TableName = Table,
            KeyConditionExpression = "pk = :pk",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = new() { S = partition } },
            ConsistentRead = true,
        })).Items ?? [];
}
