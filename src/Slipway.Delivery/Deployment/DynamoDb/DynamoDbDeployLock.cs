using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;

namespace Slipway.Delivery.Deployment.DynamoDb;

/// <summary>
/// The deploy lock as one item of the table (pk "lock#&lt;environment&gt;", sk "lock"): taken with a put that succeeds only
/// when no item exists or its lease ran out, so of two deploys from two CI runners exactly one wins. Every renewal
/// and the release are conditional on the version the holder last wrote, and bump it: a holder whose lease was
/// taken over (or broken with Unlock --force) finds its version gone, and its deploy stops. A holder whose renewals all
/// fail until its lease runs out stops too: from then on another deploy may take the lock.
/// </summary>
internal sealed class DynamoDbDeployLock : IDeployLock
{
    private readonly DynamoDbTable table;
    private readonly string environment;
    private readonly TimeSpan lease;
    private readonly SemaphoreSlim writing = new(1, 1);
    private readonly CancellationTokenSource stop = new();
    private readonly CancellationTokenSource lost = new();
    private readonly Timer lapse;
    private readonly Task renewal;
    private DeployLockLostException? lostBecause;
    private string lastMiss = "no renewal answered";

    private DynamoDbDeployLock(DynamoDbTable table, string environment, LockHolder holder, long version, TimeSpan lease)
    {
        this.table = table;
        this.environment = environment;
        this.lease = lease;
        Holder = holder;
        Version = version;
        Lost = lost.Token;
        lapse = new Timer(_ => Lapse(), null, UntilLapse(holder.Expires), Timeout.InfiniteTimeSpan);
        renewal = RenewAsync();
    }

    public LockHolder Holder { get; }

    /// <summary>The version of the lock item this holder last wrote.</summary>
    public long Version { get; private set; }

    /// <summary>Kept apart from its source, which disposing the lock disposes: still readable after.</summary>
    public CancellationToken Lost { get; }

    public static async Task<DynamoDbDeployLock> AcquireAsync(DynamoDbTable table, string environment, LockHolder me, TimeSpan lease, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var expires = Seconds(now + lease);
        var holder = me with { Since = now, Expires = DateTimeOffset.FromUnixTimeSeconds(expires) };
        // Versions start at the taker's clock in milliseconds, so a new holder's never repeats one an old holder may still renew with.
        var version = now.ToUnixTimeMilliseconds();
        try
        {
            await table.CallAsync("taking the deploy lock", DeployRoleStatement.DeployLock, dynamo => dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = table.Name,
                Item = new Dictionary<string, AttributeValue>(Key(environment))
                {
                    ["holder"] = new() { S = holder.ToString() },
                    ["who"] = new() { S = holder.Who },
                    ["host"] = new() { S = holder.Host },
                    ["pid"] = Number(holder.Pid),
                    ["since"] = new() { S = holder.Since.ToString("O", CultureInfo.InvariantCulture) },
                    ["leaseExpiresAt"] = Number(expires),
                    ["version"] = Number(version),
                },
                ConditionExpression = "attribute_not_exists(pk) OR leaseExpiresAt < :now",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":now"] = Number(NowSeconds()) },
            }, ct), ct).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // Our own put, applied but its answer lost (a 500, a dropped connection): the SDK's retry found the item it wrote.
            var found = await ReadAsync(table, environment, ct).ConfigureAwait(false);
            if (found is not { } mine || !Same(mine, holder, version))
                throw DeployLockedException.Refused(environment, found?.Holder);
        }

        return new DynamoDbDeployLock(table, environment, holder, version, lease);
    }

    /// <summary>The lock item as it stands, or null when nobody holds the lock.</summary>
    public static async Task<(LockHolder Holder, long Version)?> ReadAsync(DynamoDbTable table, string environment, CancellationToken ct)
    {
        var response = await table.CallAsync("reading the deploy lock", DeployRoleStatement.DeployLock, dynamo => dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = table.Name,
            Key = Key(environment),
            ConsistentRead = true,
        }, ct), ct).ConfigureAwait(false);
        if (response.Item is not { Count: > 0 } item)
            return null;
        var since = DateTimeOffset.TryParse(Text(item, "since"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var taken) ? taken : DateTimeOffset.MinValue;
        var holder = new LockHolder(Text(item, "who") ?? "unknown", Text(item, "host") ?? "unknown", (int)Long(item, "pid"), since, DateTimeOffset.FromUnixTimeSeconds(Long(item, "leaseExpiresAt")));
        return (holder, Long(item, "version"));
    }

    /// <summary>Removes the lock when its holder is gone, or whoever holds it when <paramref name="force"/> (Unlock).</summary>
    public static async Task<LockHolder?> BreakAsync(DynamoDbTable table, string environment, bool force, CancellationToken ct)
    {
        if (await ReadAsync(table, environment, ct).ConfigureAwait(false) is not { } found)
            return null;
        if (!force && !found.Holder.IsStale)
            throw DeployLockedException.Live(environment, found.Holder);
        // By version: a lock renewed, or released and taken again, since we looked is left as it is.
        return await DeleteAsync(table, environment, found.Version, "breaking the deploy lock", ct).ConfigureAwait(false) ? found.Holder : null;
    }

    public async Task ConfirmAsync(CancellationToken ct = default)
    {
        if (!await RenewOnceAsync(ct).ConfigureAwait(false))
            throw lostBecause!;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await renewal.ConfigureAwait(false);
        await lapse.DisposeAsync().ConfigureAwait(false);
        await writing.WaitAsync().ConfigureAwait(false);
        try
        {
            if (lostBecause is null)
                await DeleteAsync(table, environment, Version, "releasing the deploy lock", CancellationToken.None).ConfigureAwait(false);
        }
        catch (DeliveryException)
        {
            // Unreleased, the lock outlives this deploy only until its lease runs out.
        }
        finally
        {
            writing.Release();
            writing.Dispose();
            stop.Dispose();
            lost.Dispose();
        }
    }

    /// <summary>Renews the lease until disposed, or until the lock is found lost.</summary>
    private Task RenewAsync() => LeaseRenewal.RunAsync(lease, stop.Token, RenewOnceAsync, e => e is DeliveryException);

    /// <summary>Extends the lease if the item still carries our version; false once the lock is found lost.</summary>
    private async Task<bool> RenewOnceAsync(CancellationToken ct)
    {
        await writing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (lostBecause is not null)
                return false;
            var next = Version + 1;
            var expires = Seconds(DateTimeOffset.UtcNow + lease);
            try
            {
                await table.CallAsync("renewing the deploy lock", DeployRoleStatement.DeployLock, dynamo => dynamo.UpdateItemAsync(new UpdateItemRequest
                {
                    TableName = table.Name,
                    Key = Key(environment),
                    UpdateExpression = "SET leaseExpiresAt = :expires, version = :next",
                    ConditionExpression = "version = :version",
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                    {
                        [":expires"] = Number(expires),
                        [":next"] = Number(next),
                        [":version"] = Number(Version),
                    },
                }, ct), ct).ConfigureAwait(false);
                Renewed(next, DateTimeOffset.FromUnixTimeSeconds(expires));
                return true;
            }
            catch (ConditionalCheckFailedException)
            {
                var now = await ReadAsync(table, environment, CancellationToken.None).ConfigureAwait(false);
                if (now is { } renewed && Same(renewed, Holder, next))
                {
                    // Our own update, applied but its answer lost: the SDK's retry found the version it wrote.
                    Renewed(next, renewed.Holder.Expires);
                    return true;
                }

                Lose(new DeployLockLostException(now is { } taken
                    ? $"the deploy lock of {environment} was taken over by {taken.Holder} while {Holder} held it (its lease was not renewed in time): this deploy stopped; that deploy now owns the environment"
                    : $"the deploy lock of {environment} was broken (Unlock --force) while {Holder} held it: this deploy stopped; deploy again to finish"));
                return false;
            }
            catch (Exception e) when (e is DeliveryException or OperationCanceledException)
            {
                lastMiss = e is DeliveryException ? e.Message : $"the last renewal did not finish within {(lease / 3).TotalSeconds:0.#} s";
                throw;
            }
        }
        finally
        {
            writing.Release();
        }
    }

    private void Renewed(long version, DateTimeOffset expires)
    {
        Version = version;
        lapse.Change(UntilLapse(expires), Timeout.InfiniteTimeSpan);
    }

    /// <summary>The lease written last is running out unrenewed: another deploy may take the lock soon, so this one stops.</summary>
    private void Lapse() =>
        Lose(new DeployLockLostException($"the deploy lock of {environment} lapsed: DynamoDB took no renewal of {Holder}'s lease for {lease.TotalSeconds:0.#} s ({lastMiss}), so another deploy may take the lock: this deploy stopped; deploy again once DynamoDB answers"));

    /// <summary>Says why the lock is lost, once (whichever of a renewal and the lapse finds it first), and stops the deploy.</summary>
    private void Lose(DeployLockLostException because)
    {
        if (Interlocked.CompareExchange(ref lostBecause, because, null) is null)
            lost.Cancel();
    }

    /// <summary>
    /// Until a renewal tick before the lease written last (<paramref name="expires"/>) ends: the deploy has stopped by the
    /// time another can take the lock.
    /// </summary>
    private TimeSpan UntilLapse(DateTimeOffset expires)
    {
        var left = expires - lease / 6 - DateTimeOffset.UtcNow;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>The lock item is the one <paramref name="holder"/> wrote at <paramref name="version"/>.</summary>
    private static bool Same((LockHolder Holder, long Version) found, LockHolder holder, long version) =>
        found.Version == version && found.Holder.Who == holder.Who && found.Holder.Host == holder.Host && found.Holder.Pid == holder.Pid && found.Holder.Since == holder.Since;

    private static async Task<bool> DeleteAsync(DynamoDbTable table, string environment, long version, string what, CancellationToken ct)
    {
        try
        {
            await table.CallAsync(what, DeployRoleStatement.DeployLock, dynamo => dynamo.DeleteItemAsync(new DeleteItemRequest
            {
                TableName = table.Name,
                Key = Key(environment),
                ConditionExpression = "version = :version",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":version"] = Number(version) },
            }, ct), ct).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    internal static Dictionary<string, AttributeValue> Key(string environment) => new()
    {
        ["pk"] = new() { S = $"lock#{environment}" },
        ["sk"] = new() { S = "lock" },
    };

    /// <summary>Now, rounded up: a lease ending at second T is over once the clock reaches T, as <see cref="LockHolder.IsExpired"/> judges it.</summary>
    private static long NowSeconds() => (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 999) / 1000;

    private static long Seconds(DateTimeOffset time) => time.ToUnixTimeSeconds();

    internal static AttributeValue Number(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    private static string? Text(Dictionary<string, AttributeValue> item, string name) => item.TryGetValue(name, out var value) ? value.S : null;

    private static long Long(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && long.TryParse(value.N, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : 0;
}
