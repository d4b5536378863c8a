using System.Globalization;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;

namespace Slipway.Delivery.Deployment.DynamoDb;

/// <summary>
/// The ledger as items of the table, one per record (pk "ledger#&lt;environment&gt;", sk "&lt;UTC time with
/// milliseconds&gt;#&lt;release version&gt;"), each put only where no item is (attribute_not_exists): append-only, as the
/// deploy role's IAM policy allows (PutItem, no UpdateItem or DeleteItem on the ledger). A put cannot be conditional on
/// another item without a transaction (outside that policy), so the writer confirms its lock version right before each
/// record, and records its lock version in it.
/// </summary>
internal sealed class DynamoDbReleaseLedger(DynamoDbTable table, string environment, DynamoDbDeployLock? held, Action<string> log) : ReleaseLedger(log)
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>When the newest record read or written was written: a record always sorts after it, whatever this host's clock says.</summary>
    private DateTimeOffset? newest;

    private string Partition => $"ledger#{environment}";

    public override async Task<IReadOnlyList<Release>> ReadAsync(CancellationToken ct = default)
    {
        var records = new List<(string Name, byte[] Content)>();
        Dictionary<string, AttributeValue>? from = null;
        do
        {
            var page = await table.CallAsync("reading the release ledger", DeployRoleStatement.ReleaseLedger, dynamo => dynamo.QueryAsync(new QueryRequest
            {
                TableName = table.Name,
                KeyConditionExpression = "pk = :pk",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = new() { S = Partition } },
                ConsistentRead = true,
                ExclusiveStartKey = from,
            }, ct), ct).ConfigureAwait(false);
            foreach (var item in page.Items ?? [])
            {
                var key = item["sk"].S;
                records.Add((key, item.TryGetValue("record", out var record) && record.S is { } json ? Encoding.UTF8.GetBytes(json) : []));
                Remember(WrittenAt(key));
            }

            from = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (from is not null);

        return Fold([], records);
    }

    public override async Task RecordAsync(Release release, CancellationToken ct = default)
    {
        var holder = held ?? throw new InvalidOperationException("the ledger was opened read-only");
        if (newest is null)
            await ReadAsync(ct).ConfigureAwait(false);
        await holder.ConfirmAsync(ct).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        var at = newest is { } last && now <= last ? last.AddMilliseconds(1) : now;
        var key = $"{at.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture)}#{release.Version}";
        var record = JsonSerializer.Serialize(release, Json);
        var lockVersion = holder.Version;
        try
        {
            await table.CallAsync("recording a release in the ledger", DeployRoleStatement.ReleaseLedger, dynamo => dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = table.Name,
                Item = new Dictionary<string, AttributeValue>
                {
                    ["pk"] = new() { S = Partition },
                    ["sk"] = new() { S = key },
                    ["version"] = new() { S = release.Version },
                    ["kind"] = new() { S = JsonNamingPolicy.KebabCaseLower.ConvertName(release.Kind.ToString()) },
                    ["outcome"] = new() { S = JsonNamingPolicy.KebabCaseLower.ConvertName(release.Outcome.ToString()) },
                    ["lockVersion"] = DynamoDbDeployLock.Number(lockVersion),
                    ["record"] = new() { S = record },
                },
                ConditionExpression = "attribute_not_exists(sk)",
            }, ct), ct).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            if (!await WroteAsync(key, record, lockVersion, ct).ConfigureAwait(false))
                throw new DeliveryException($"the ledger of {environment} already has a record {key}: another deploy wrote to it at the same moment, though this one holds the lock; run ./build.sh Releases --environment {environment} and check who deploys");
        }

        Remember(at);
    }

    /// <summary>
    /// The item at <paramref name="key"/> is this very record: our put was applied but its answer lost (a 500, a dropped
    /// connection), and the SDK's retry of it found the item it had written.
    /// </summary>
    private async Task<bool> WroteAsync(string key, string record, long lockVersion, CancellationToken ct)
    {
        var found = await table.CallAsync("reading back a ledger record", DeployRoleStatement.ReleaseLedger, dynamo => dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = table.Name,
            Key = new Dictionary<string, AttributeValue> { ["pk"] = new() { S = Partition }, ["sk"] = new() { S = key } },
            ConsistentRead = true,
        }, ct), ct).ConfigureAwait(false);
        return found.Item is { } item
            && item.TryGetValue("record", out var written) && written.S == record
            && item.TryGetValue("lockVersion", out var version) && version.N == lockVersion.ToString(CultureInfo.InvariantCulture);
    }

    private void Remember(DateTimeOffset? at)
    {
        if (at is { } time && (newest is null || time > newest))
            newest = time;
        newest ??= DateTimeOffset.MinValue;
    }

    private static DateTimeOffset? WrittenAt(string key) =>
        DateTimeOffset.TryParseExact(key.Split('#', 2)[0], TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at : null;
}
