using Amazon.DynamoDBv2.Model;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Deployment.DynamoDb;

namespace Slipway.Delivery.Tests.Deployment.DynamoDb;

/// <summary>The ECS environments' lock and ledger, kept in a DynamoDB table, against dynalite (a DynamoDB-compatible server).</summary>
public sealed class DynamoDbReleaseStoreTests(Dynalite dynalite) : IClassFixture<Dynalite>
{
    private const string App = "api";

    private readonly string environment = "t" + Guid.NewGuid().ToString("N")[..8];

    [DynaliteFact]
    public async Task Of_two_deploys_from_two_runners_exactly_one_takes_the_lock_and_the_other_is_refused_at_once_naming_it()
    {
        for (var round = 0; round < 10; round++)
        {
            var env = $"{environment}-{round}";
            using var first = dynalite.Store(env);
            using var second = dynalite.Store(env);
            var one = LockHolder.Current() with { Who = "ci", Host = "runner-1" };
            var two = LockHolder.Current() with { Who = "ci", Host = "runner-2" };
            using var start = new ManualResetEventSlim();
            var attempts = new[] { (first, one), (second, two) }
                .Select(a => Task.Run(async () =>
                {
                    start.Wait();
                    try
                    {
                        return (Lock: await a.Item1.AcquireLockAsync(a.Item2), Refused: (DeployLockedException?)null);
                    }
                    catch (DeployLockedException e)
                    {
                        return (Lock: (IDeployLock?)null, Refused: e);
                    }
                }))
                .ToList();
            start.Set();
            var results = await Task.WhenAll(attempts);

            var won = Assert.Single(results, r => r.Lock is not null).Lock!;
            var refused = Assert.Single(results, r => r.Refused is not null).Refused!;
            Assert.Equal(DeliveryFailure.Locked, refused.Failure);
            Assert.Equal(won.Holder.Host, refused.Holder?.Host);
            Assert.Contains($"{env} is being deployed by ci@{won.Holder.Host}", refused.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', refused.Message);
            Assert.Equal(won.Holder.Host, (await first.ReadLockAsync())?.Host);
            await won.DisposeAsync();
            Assert.Null(await second.ReadLockAsync());
        }
    }

    [DynaliteFact]
    public async Task A_lock_whose_runner_is_gone_is_taken_over_once_its_lease_ran_out_and_a_live_one_only_with_force()
    {
        using var store = dynalite.Store(environment);
        var lostRunner = new LockHolder("ci", "runner-7", 4242, DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddMinutes(-8));
        await dynalite.LeaveLockAsync(environment, lostRunner, version: 17);

        var read = await store.ReadLockAsync();
        Assert.True(read!.IsStale);
        await using (var mine = await store.AcquireLockAsync(LockHolder.Current() with { Who = "dev" }))
        {
            Assert.Equal("dev", (await store.ReadLockAsync())?.Who);
            var refused = await Assert.ThrowsAsync<DeployLockedException>(() => dynalite.Store(environment).AcquireLockAsync(LockHolder.Current()));
            Assert.Contains("is being deployed by dev@", refused.Message, StringComparison.Ordinal);
        }

        Assert.Null(await store.ReadLockAsync());
        var liveRunner = lostRunner with { Expires = DateTimeOffset.UtcNow.AddMinutes(2) };
        await dynalite.LeaveLockAsync(environment, liveRunner, version: 18);
        var live = await Assert.ThrowsAsync<DeployLockedException>(() => store.BreakLockAsync(force: false));
        Assert.Contains("that deploy is alive", live.Message, StringComparison.Ordinal);
        Assert.Equal("runner-7", (await store.ReadLockAsync())?.Host);
        Assert.Equal("runner-7", (await store.BreakLockAsync(force: true))?.Host);
        Assert.Null(await store.ReadLockAsync());
        Assert.Null(await store.BreakLockAsync(force: false));

        await dynalite.LeaveLockAsync(environment, lostRunner, version: 19);
        Assert.Equal(lostRunner.Expires.ToUnixTimeSeconds(), (await store.BreakLockAsync(force: false))?.Expires.ToUnixTimeSeconds());
    }

    [DynaliteFact]
    public async Task The_holder_renews_its_lease_bumping_the_version_and_releases_it_when_done()
    {
        using var store = dynalite.Store(environment, lease: TimeSpan.FromSeconds(12));
        var held = await store.AcquireLockAsync(LockHolder.Current());
        var taken = Assert.Single(await dynalite.ItemsAsync($"lock#{environment}"));
        var firstVersion = long.Parse(taken["version"].N, System.Globalization.CultureInfo.InvariantCulture);
        var firstExpiry = long.Parse(taken["leaseExpiresAt"].N, System.Globalization.CultureInfo.InvariantCulture);

        // Renewed every 2 s (a sixth of the lease): wait (at most a minute) until a renewal pushed the expiry past the first one.
        var deadline = DateTimeOffset.UtcNow.AddMinutes(1);
        Dictionary<string, AttributeValue> renewed;
        do
        {
            await Task.Delay(200);
            renewed = Assert.Single(await dynalite.ItemsAsync($"lock#{environment}"));
        }
        while (long.Parse(renewed["leaseExpiresAt"].N, System.Globalization.CultureInfo.InvariantCulture) <= firstExpiry && DateTimeOffset.UtcNow < deadline);

        Assert.True(long.Parse(renewed["leaseExpiresAt"].N, System.Globalization.CultureInfo.InvariantCulture) > firstExpiry, "the lease was never renewed");
        Assert.True(long.Parse(renewed["version"].N, System.Globalization.CultureInfo.InvariantCulture) > firstVersion);
        Assert.False(held.Lost.IsCancellationRequested);
        await held.ConfirmAsync();
        await held.DisposeAsync();
        Assert.Empty(await dynalite.ItemsAsync($"lock#{environment}"));
    }

    [DynaliteFact]
    public async Task A_holder_whose_lease_was_taken_over_notices_stops_and_writes_nothing_more_to_the_ledger()
    {
        using var store = dynalite.Store(environment, lease: TimeSpan.FromSeconds(12));
        await using var held = await store.AcquireLockAsync(LockHolder.Current() with { Who = "ci", Host = "runner-1" });
        var ledger = await store.OpenLedgerAsync(held, _ => { });
        await ledger.RecordAsync(Deploy("1.0.0", DateTimeOffset.UtcNow, ReleaseOutcome.InProgress, null));

        // runner-1 stalled past its lease, and runner-2 took the lock over (a new version).
        var taker = LockHolder.Current() with { Who = "ci", Host = "runner-2", Expires = DateTimeOffset.UtcNow.AddMinutes(2) };
        await dynalite.LeaveLockAsync(environment, taker, version: DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000);

        await WaitAsync(held.Lost);
        var lost = await Assert.ThrowsAsync<DeployLockLostException>(() => held.ConfirmAsync());
        Assert.Contains("taken over by ci@runner-2", lost.Message, StringComparison.Ordinal);
        Assert.Equal(DeliveryFailure.Failed, lost.Failure);
        await Assert.ThrowsAsync<DeployLockLostException>(() => ledger.RecordAsync(Deploy("1.0.0", DateTimeOffset.UtcNow, ReleaseOutcome.Succeeded, null)));
        Assert.Single(await dynalite.ItemsAsync($"ledger#{environment}"));
        Assert.Equal("runner-2", (await store.ReadLockAsync())?.Host);
    }

    [DynaliteFact]
    public async Task A_lock_broken_with_force_under_a_running_deploy_stops_it_and_its_release_does_not_delete_the_next_holders_lock()
    {
        using var store = dynalite.Store(environment, lease: TimeSpan.FromSeconds(12));
        var held = await store.AcquireLockAsync(LockHolder.Current() with { Who = "ci" });
        Assert.Equal("ci", (await dynalite.Store(environment).BreakLockAsync(force: true))?.Who);
        await using var next = await dynalite.Store(environment).AcquireLockAsync(LockHolder.Current() with { Who = "dev" });

        await WaitAsync(held.Lost);
        var lost = await Assert.ThrowsAsync<DeployLockLostException>(() => held.ConfirmAsync());
        Assert.Contains("taken over by dev@", lost.Message, StringComparison.Ordinal);
        await held.DisposeAsync();
        Assert.Equal("dev", (await store.ReadLockAsync())?.Who);
    }

    [DynaliteFact]
    public async Task The_ledger_is_appended_one_item_per_record_and_read_back_by_another_runner_folded_reconciled_and_formatted()
    {
        using var store = dynalite.Store(environment);
        var log = new List<string>();
        var started = DateTimeOffset.UtcNow;
        await using (var held = await store.AcquireLockAsync(LockHolder.Current()))
        {
            var ledger = await store.OpenLedgerAsync(held, log.Add);
            Assert.Empty(await ledger.ReadAsync());
            var release = Deploy("1.0.0+abc1234", started, ReleaseOutcome.InProgress, null);
            await ledger.RecordAsync(release);
            await ledger.RecordAsync(release with { Outcome = ReleaseOutcome.Succeeded, FinishedAt = started.AddSeconds(5) });
            await ledger.RecordAsync(Deploy("1.1.0+def5678", started.AddMinutes(1), ReleaseOutcome.RolledBack, "1.0.0+abc1234"));
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await (await store.OpenReadOnlyLedgerAsync(_ => { })).RecordAsync(release));
        }

        var items = await dynalite.ItemsAsync($"ledger#{environment}");
        Assert.Equal(3, items.Count);
        Assert.All(items, i => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#\d\.\d\.0\+\w{7}$", i["sk"].S));
        Assert.Equal(["in-progress", "succeeded", "rolled-back"], items.Select(i => i["outcome"].S));
        Assert.All(items, i => Assert.NotNull(i["lockVersion"].N));

        // A torn record (a write cut short) is skipped, said once.
        await dynalite.Client.PutItemAsync(new PutItemRequest
        {
            TableName = dynalite.Table,
            Item = new Dictionary<string, AttributeValue> { ["pk"] = new() { S = $"ledger#{environment}" }, ["sk"] = new() { S = "2999-01-01T00:00:00.000Z#9.9.9" }, ["record"] = new() { S = "{\"version\":\"9.9" } },
        });
        var readLog = new List<string>();
        var reader = await dynalite.Store(environment).OpenReadOnlyLedgerAsync(readLog.Add);
        var releases = await reader.ReadAsync();
        await reader.ReadAsync();
        Assert.Equal([("1.0.0+abc1234", ReleaseOutcome.Succeeded), ("1.1.0+def5678", ReleaseOutcome.RolledBack)], releases.Select(r => (r.Version, r.Outcome)));
        Assert.Equal(Image("1.0.0+abc1234"), releases[0].Images[App]);
        Assert.Equal("ledger record 2999-01-01T00:00:00.000Z#9.9.9 is torn (its write was interrupted): ignored", Assert.Single(readLog));

        var serving = new ServingRelease("1.0.0+abc1234", Image("1.0.0+abc1234"), "service slipway");
        Assert.Same(releases[0], ReleaseLedger.Reconcile(releases, serving, environment, App, log.Add));
        Assert.Contains("* 1.0.0+abc1234  deploy  succeeded", ReleaseLedger.Format(releases), StringComparison.Ordinal);
        Assert.Empty(log);
    }

    [DynaliteFact]
    public async Task A_release_a_killed_deploy_left_in_progress_is_recorded_as_interrupted_by_the_next_holder()
    {
        using var store = dynalite.Store(environment);
        var started = DateTimeOffset.UtcNow;
        await using (var killed = await store.AcquireLockAsync(LockHolder.Current() with { Who = "ci" }))
        {
            var ledger = await store.OpenLedgerAsync(killed, _ => { });
            await ledger.RecordAsync(Deploy("1.0.0", started, ReleaseOutcome.Succeeded, null));
            await ledger.RecordAsync(Deploy("2.0.0", started.AddMinutes(1), ReleaseOutcome.InProgress, "1.0.0"));
        }

        var log = new List<string>();
        await using var next = await dynalite.Store(environment).AcquireLockAsync(LockHolder.Current() with { Who = "dev" });
        var reopened = await (await dynalite.Store(environment).OpenLedgerAsync(next, log.Add)).ReadAsync();

        Assert.Equal([("1.0.0", ReleaseOutcome.Succeeded, null), ("2.0.0", ReleaseOutcome.Failed, ReleaseLedger.InterruptedNote)], reopened.Select(r => (r.Version, r.Outcome, r.Note)));
        Assert.Contains("the deploy of 2.0.0 by ci@host since", Assert.Single(log), StringComparison.Ordinal);
        Assert.Equal(3, (await dynalite.ItemsAsync($"ledger#{environment}")).Count);
    }

    [DynaliteFact]
    public async Task Deploy_three_releases_then_roll_back_and_roll_back_again_walks_down_the_chain_and_then_refuses()
    {
        using var store = dynalite.Store(environment);
        var me = LockHolder.Current();
        var started = DateTimeOffset.UtcNow.AddMinutes(-10);
        await using (var held = await store.AcquireLockAsync(me))
        {
            var ledger = await store.OpenLedgerAsync(held, _ => { });
            string? previous = null;
            DateTimeOffset? previousStarted = null;
            foreach (var (version, minute) in new[] { ("1.0.0", 0), ("2.0.0", 1), ("3.0.0", 2) })
            {
                var release = Deploy(version, started.AddMinutes(minute), ReleaseOutcome.InProgress, previous) with { PreviousStartedAt = previousStarted };
                await ledger.RecordAsync(release);
                await ledger.RecordAsync(release with { Outcome = ReleaseOutcome.Succeeded, FinishedAt = release.StartedAt.AddSeconds(30) });
                (previous, previousStarted) = (version, release.StartedAt);
            }
        }

        var serving = "3.0.0";
        foreach (var expected in new[] { "2.0.0", "1.0.0" })
        {
            await using var held = await dynalite.Store(environment).AcquireLockAsync(me);
            var ledger = await store.OpenLedgerAsync(held, _ => { });
            var choice = ReleaseLedger.ChooseRollback(await ledger.ReadAsync(), Serves(serving), null, environment, App, _ => { });
            Assert.Equal((serving, expected, Image(expected)), (choice.From, choice.Target.Version, choice.AppImage));
            var rollback = choice.Record("rolling", me);
            await ledger.RecordAsync(rollback);
            await ledger.RecordAsync(rollback with { Outcome = ReleaseOutcome.Succeeded, FinishedAt = DateTimeOffset.UtcNow });
            serving = expected;
        }

        var releases = await (await store.OpenReadOnlyLedgerAsync(_ => { })).ReadAsync();
        Assert.Equal(["1.0.0", "2.0.0", "3.0.0", "2.0.0", "1.0.0"], releases.Select(r => r.Version));
        Assert.Equal([ReleaseKind.Rollback, ReleaseKind.Rollback], releases.Skip(3).Select(r => r.Kind));
        var refused = Assert.Throws<DeployFailedException>(() => ReleaseLedger.ChooseRollback(releases, Serves("1.0.0"), null, environment, App, _ => { }));
        Assert.Contains("nothing earlier remains", refused.Message, StringComparison.Ordinal);
        Assert.Equal("3.0.0", ReleaseLedger.ChooseRollback(releases, Serves("1.0.0"), "3.0.0", environment, App, _ => { }).Target.Version);
    }

    [DynaliteFact]
    public async Task A_missing_table_is_one_line_naming_it_and_terraform()
    {
        using var store = dynalite.Store(environment, table: "slipway-nowhere-delivery");

        var missing = await Assert.ThrowsAsync<DeliveryException>(() => store.AcquireLockAsync(LockHolder.Current()));

        Assert.StartsWith($"DynamoDB table slipway-nowhere-delivery ({Dynalite.Region} at {dynalite.Endpoint}) does not exist", missing.Message, StringComparison.Ordinal);
        Assert.Contains("terraform creates it", missing.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', missing.Message);
        await Assert.ThrowsAsync<DeliveryException>(async () => await (await store.OpenReadOnlyLedgerAsync(_ => { })).ReadAsync());
    }

    [Fact]
    public void Without_a_region_in_the_environment_file_or_AWS_REGION_the_store_refuses_before_any_call()
    {
        var missing = Assert.Throws<DeliveryException>(() => new DynamoDbReleaseStore(new DynamoDbLocation("slipway-prod-delivery", null), "prod", _ => null));

        Assert.Equal(DeliveryFailure.Usage, missing.Failure);
        Assert.Equal("no AWS region for DynamoDB table slipway-prod-delivery (the deploy lock and ledger): set it in the environment file, or AWS_REGION", missing.Message);
        using var fromVariable = new DynamoDbReleaseStore(new DynamoDbLocation("slipway-prod-delivery", null), "prod", name => name == "AWS_REGION" ? "eu-west-1" : null);
    }

    private static Release Deploy(string version, DateTimeOffset started, ReleaseOutcome outcome, string? previous) =>
        new(version, ReleaseKind.Deploy, "rolling", "ci@host", started, outcome == ReleaseOutcome.InProgress ? null : started.AddSeconds(30),
            new Dictionary<string, string> { [App] = Image(version) }, null, outcome, previous);

    private static string Image(string version) =>
        $"123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-api@sha256:{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(version)))}";

    private static ServingRelease Serves(string version) => new(version, Image(version), "service slipway");

    /// <summary>Until the lock notices it is lost (a failed renewal, or its lease lapsing): a minute at most.</summary>
    internal static async Task WaitAsync(CancellationToken lost)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMinutes(1), lost);
        }
        catch (OperationCanceledException) when (lost.IsCancellationRequested)
        {
            return;
        }

        Assert.Fail("the lost lock was never noticed");
    }
}
