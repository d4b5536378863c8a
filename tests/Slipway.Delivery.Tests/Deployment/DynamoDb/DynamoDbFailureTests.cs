using System.Text.RegularExpressions;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using static Slipway.Delivery.Tests.Deployment.DynamoDb.DynamoDbReleaseRunnerTests;

namespace Slipway.Delivery.Tests.Deployment.DynamoDb;

/// <summary>
/// The DynamoDB lock and ledger under the failures DynamoDB has and dynalite never produces (throttling, AccessDenied,
/// 500, a dropped connection, no answer), put between the AWS SDK and dynalite by <see cref="FaultyDynamoDb"/>, which
/// replays DynamoDB's documented error wire format. The store retries as our config sets the SDK (standard retry mode,
/// MaxErrorRetry 6: at most 7 attempts of one call).
/// </summary>
public sealed class DynamoDbFailureTests(Dynalite dynalite) : IClassFixture<Dynalite>
{
    private const string Lock = "\"lock#";
    private const string Ledger = "\"ledger#";
    private const string SuccessRecord = "{\"S\":\"succeeded\"}";

    private readonly string environment = "f" + Guid.NewGuid().ToString("N")[..8];
    private readonly DeployEnvironment settings = EnvironmentFile.Load(RepositoryRoot.Path, EnvironmentName.Local);

    [DynaliteFact]
    public async Task Throttling_of_taking_renewing_and_appending_is_retried_by_the_sdk_and_each_succeeds()
    {
        using var proxy = new FaultyDynamoDb(dynalite);
        using var store = proxy.Store(environment);
        proxy.Fail("PutItem", DynamoDbFault.ProvisionedThroughputExceeded, times: 3, naming: Lock);

        await using var held = await store.AcquireLockAsync(Me("runner-1"));

        Assert.Equal((4, 3), (proxy.Requests("PutItem"), proxy.Failed("PutItem")));
        Assert.Equal("runner-1", (await dynalite.Store(environment).ReadLockAsync())?.Host);

        proxy.Fail("UpdateItem", DynamoDbFault.Throttling, times: 2);
        await held.ConfirmAsync();
        Assert.Equal(2, proxy.Failed("UpdateItem"));
        Assert.False(held.Lost.IsCancellationRequested);

        var ledger = await store.OpenLedgerAsync(held, _ => { });
        proxy.Fail("PutItem", DynamoDbFault.ProvisionedThroughputExceeded, times: 2, naming: Ledger);
        await ledger.RecordAsync(Deploy("1.0.0", ReleaseOutcome.Succeeded));

        Assert.Equal(4 + 3, proxy.Requests("PutItem"));
        Assert.Equal([("1.0.0", ReleaseOutcome.Succeeded)], (await ReadAsync()).Select(r => (r.Version, r.Outcome)));
    }

    [DynaliteFact]
    public async Task Throttling_through_all_six_retries_is_one_line_saying_so_and_takes_no_lock()
    {
        using var proxy = new FaultyDynamoDb(dynalite);
        using var store = proxy.Store(environment);
        proxy.Fail("PutItem", DynamoDbFault.ProvisionedThroughputExceeded, times: 7);

        var throttled = await Assert.ThrowsAsync<DeliveryException>(() => store.AcquireLockAsync(Me("runner-1")));

        // 7 attempts, the first and the 6 retries our config allows (MaxErrorRetry), each answered with the throttle.
        Assert.Equal($"DynamoDB throttled taking the deploy lock on table {dynalite.Table} ({Dynalite.Region} at {proxy.Endpoint}) and kept doing so through 6 retries: try again in a minute", throttled.Message);
        Assert.Equal(DeliveryFailure.Failed, throttled.Failure);
        Assert.Equal(7, proxy.Requests("PutItem"));
        Assert.Null(await dynalite.Store(environment).ReadLockAsync());

        // The release manager runs the command again: it takes the lock.
        await using var again = await store.AcquireLockAsync(Me("runner-1"));
        Assert.Equal("runner-1", (await dynalite.Store(environment).ReadLockAsync())?.Host);
    }

    [DynaliteFact]
    public async Task A_500_or_a_dropped_connection_is_retried_and_an_applied_write_whose_answer_was_lost_is_recognised_as_ours()
    {
        using var proxy = new FaultyDynamoDb(dynalite);
        using var store = proxy.Store(environment);

        // The put is applied, its answer lost: the SDK's retry meets our own item (attribute_not_exists fails).
        proxy.Fail("PutItem", DynamoDbFault.Dropped, naming: Lock).Fail("PutItem", DynamoDbFault.AppliedThenInternalServerError, naming: Lock);
        var held = await store.AcquireLockAsync(Me("runner-1"));
        Assert.Equal(3, proxy.Requests("PutItem"));
        var taken = (await dynalite.ItemsAsync($"lock#{environment}")).Single();

        proxy.Fail("UpdateItem", DynamoDbFault.InternalServerError).Fail("UpdateItem", DynamoDbFault.AppliedThenInternalServerError);
        await held.ConfirmAsync();
        Assert.Equal(3, proxy.Requests("UpdateItem"));
        Assert.False(held.Lost.IsCancellationRequested);
        Assert.Equal(long.Parse(taken["version"].N, System.Globalization.CultureInfo.InvariantCulture) + 1, long.Parse((await dynalite.ItemsAsync($"lock#{environment}")).Single()["version"].N, System.Globalization.CultureInfo.InvariantCulture));

        var ledger = await store.OpenLedgerAsync(held, _ => { });
        proxy.Fail("PutItem", DynamoDbFault.AppliedThenInternalServerError, naming: Ledger).Fail("PutItem", DynamoDbFault.Dropped, naming: Ledger);
        await ledger.RecordAsync(Deploy("1.0.0", ReleaseOutcome.Succeeded));
        Assert.Single(await dynalite.ItemsAsync($"ledger#{environment}"));
        Assert.Equal(["1.0.0"], (await ReadAsync()).Select(r => r.Version));

        await held.DisposeAsync();
        Assert.Null(await dynalite.Store(environment).ReadLockAsync());
    }

    [DynaliteFact]
    public async Task AccessDenied_taking_the_lock_is_one_line_naming_the_permission_and_its_iam_statement_and_leaves_nothing()
    {
        using var proxy = new FaultyDynamoDb(dynalite);
        using var store = proxy.Store(environment);
        proxy.FailAlways("PutItem", DynamoDbFault.AccessDenied);
        var rollout = new Rollout(finished: true);

        var denied = await Assert.ThrowsAsync<DeliveryException>(() => new ReleaseRunner(settings, rollout, store, _ => { }).DeployAsync(Request("2.0.0")));

        Assert.StartsWith($"DynamoDB denied dynamodb:PutItem (taking the deploy lock) on table {dynalite.Table} ({Dynalite.Region} at {proxy.Endpoint}): the deploy role needs dynamodb:PutItem in the DeployLock statement of build/terraform/iam.tf (terraform apply), or run with that role; AWS said: User: arn:aws:sts::", denied.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', denied.Message);
        Assert.Equal(DeliveryFailure.Usage, denied.Failure);
        Assert.Equal(1, proxy.Requests("PutItem")); // not retried: it would be denied again
        Assert.False(rollout.Started.IsCompleted);
        Assert.Empty(await dynalite.ItemsAsync($"lock#{environment}"));
        Assert.Empty(await dynalite.ItemsAsync($"ledger#{environment}"));
    }

    [DynaliteFact]
    public async Task AccessDenied_on_the_ledger_stops_the_deploy_before_its_rollout_and_releases_the_lock()
    {
        foreach (var (operation, naming) in new[] { ("Query", (string?)null), ("PutItem", Ledger) })
        {
            using var proxy = new FaultyDynamoDb(dynalite);
            using var store = proxy.Store(environment);
            proxy.FailAlways(operation, DynamoDbFault.AccessDenied, naming);
            var rollout = new Rollout(finished: true);

            var denied = await Assert.ThrowsAsync<DeliveryException>(() => new ReleaseRunner(settings, rollout, store, _ => { }).DeployAsync(Request("2.0.0")));

            Assert.Contains($"DynamoDB denied dynamodb:{operation} (", denied.Message, StringComparison.Ordinal);
            Assert.Contains($"the deploy role needs dynamodb:{operation} in the ReleaseLedger statement of build/terraform/iam.tf", denied.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', denied.Message);
            Assert.Equal(DeliveryFailure.Usage, denied.Failure);
            Assert.False(rollout.Started.IsCompleted);
            Assert.Null(await dynalite.Store(environment).ReadLockAsync());
            Assert.Empty(await dynalite.ItemsAsync($"ledger#{environment}"));
        }
    }

    [Fact]
    public void Each_statement_the_denials_name_grants_those_actions_in_iam_tf()
    {
        var iam = File.ReadAllText(RepositoryRoot.Combine("build", "terraform", "iam.tf"));

        Assert.Equal(["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], Actions(iam, "DeployLock"));
        Assert.Equal(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"], Actions(iam, "ReleaseLedger"));

        static string[] Actions(string iam, string sid)
        {
            var statement = Regex.Match(iam, $"sid\\s*=\\s*\"{sid}\"\\s*actions\\s*=\\s*\\[(?<actions>[^\\]]*)\\]");
            Assert.True(statement.Success, $"no statement {sid} with actions in iam.tf");
            return [.. Regex.Matches(statement.Groups["actions"].Value, "\"([^\"]+)\"").Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal)];
        }
    }

    [DynaliteFact]
    public async Task A_renewal_that_fails_for_a_while_within_the_lease_keeps_the_lock()
    {
        using var proxy = new FaultyDynamoDb(dynalite);
        // Long enough for the SDK's backoff (seconds) inside one renewal's budget (a third of the lease).
        using var store = proxy.Store(environment, lease: TimeSpan.FromSeconds(30));
        await using var held = await store.AcquireLockAsync(Me("runner-1"));

        // One renewal gets no answer (given up after a third of the lease), the next is throttled and dropped until retried.
        proxy.Fail("UpdateItem", DynamoDbFault.Hang).Fail("UpdateItem", DynamoDbFault.Throttling).Fail("UpdateItem", DynamoDbFault.Dropped);
        // Two renewals more go through (one every 5 s); a minute at most, so renewals that stopped fail here.
        using (var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
        {
            while (proxy.Requests("UpdateItem") < 5)
                await Task.Delay(100, limit.Token);
        }

        Assert.Equal(3, proxy.Failed("UpdateItem"));
        Assert.False(held.Lost.IsCancellationRequested);
        await held.ConfirmAsync();
        var holder = await dynalite.Store(environment).ReadLockAsync();
        Assert.Equal("runner-1", holder?.Host);
        Assert.False(holder!.IsExpired);
    }

    [DynaliteFact]
    public async Task A_renewal_that_keeps_failing_past_the_lease_loses_the_lock_stops_the_deploy_and_a_retry_of_the_command_records_it_interrupted()
    {
        using var proxy = new FaultyDynamoDb(dynalite);
        using var store = proxy.Store(environment, lease: TimeSpan.FromSeconds(3));
        var rollout = new Rollout();
        var log = new List<string>();
        var deploy = new ReleaseRunner(settings, rollout, store, log.Add).DeployAsync(Request("2.0.0"));
        await RollingOutAsync(rollout, deploy);

        proxy.FailAlways("UpdateItem", DynamoDbFault.InternalServerError);

        // The lapse comes when the lease written last ends (3 s at most); a minute at most, so a deploy that never stops fails here.
        var lost = await Assert.ThrowsAsync<DeployLockLostException>(() => deploy.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.StartsWith($"the deploy lock of {environment} lapsed: DynamoDB took no renewal of ci@runner-1", lost.Message, StringComparison.Ordinal);
        Assert.Matches("(InternalServerError|the last renewal did not finish within)", lost.Message);
        Assert.DoesNotContain('\n', lost.Message);
        Assert.True(rollout.Stopped, "the rollout went on after the lease ran out");
        Assert.True(proxy.Failed("UpdateItem") > 0);
        Assert.Contains(log, l => l.StartsWith("how 2.0.0 ended is not recorded: the deploy lock of", StringComparison.Ordinal));
        Assert.Equal(["in-progress"], (await dynalite.ItemsAsync($"ledger#{environment}")).Select(i => i["outcome"].S));

        // The deploy stopped a renewal tick before its lease ended; once it has, and DynamoDB answers again, the release
        // manager repeats the command, which takes the lapsed lock.
        while (!(await store.ReadLockAsync())!.IsExpired)
            await Task.Delay(200);
        proxy.Heal();
        var nextLog = new List<string>();
        var next = await new ReleaseRunner(settings, new Rollout(finished: true), store, nextLog.Add).DeployAsync(Request("2.0.0"));
        Assert.Equal(ReleaseOutcome.Succeeded, next.Release.Outcome);
        Assert.Contains(nextLog, l => l.StartsWith("the deploy of 2.0.0 by ci@runner-1 since", StringComparison.Ordinal));
        Assert.Equal([(ReleaseOutcome.Failed, ReleaseLedger.InterruptedNote), (ReleaseOutcome.Succeeded, null)], (await ReadAsync()).Select(r => (r.Outcome, r.Note)));
        Assert.Null(await dynalite.Store(environment).ReadLockAsync());
    }

    [DynaliteFact]
    public async Task Renewals_denied_mid_deploy_lapse_the_lock_saying_which_permission_the_role_lacks()
    {
        using var proxy = new FaultyDynamoDb(dynalite);
        using var store = proxy.Store(environment, lease: TimeSpan.FromSeconds(3));
        var held = await store.AcquireLockAsync(Me("runner-1"));
        proxy.FailAlways("UpdateItem", DynamoDbFault.AccessDenied);

        await DynamoDbReleaseStoreTests.WaitAsync(held.Lost);

        var lost = await Assert.ThrowsAsync<DeployLockLostException>(() => held.ConfirmAsync());
        Assert.Contains("(DynamoDB denied dynamodb:UpdateItem (renewing the deploy lock)", lost.Message, StringComparison.Ordinal);
        Assert.Contains("in the DeployLock statement of build/terraform/iam.tf", lost.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', lost.Message);
        Assert.Equal(proxy.Requests("UpdateItem"), proxy.Failed("UpdateItem"));

        // A lapsed lock is not released (it may be another's by then): it stays until its lease is over.
        await held.DisposeAsync();
        Assert.Equal(0, proxy.Requests("DeleteItem"));
        Assert.Equal("runner-1", (await dynalite.Store(environment).ReadLockAsync())?.Host);
    }

    [DynaliteFact]
    public async Task A_ledger_write_that_gets_no_answer_is_given_up_after_the_sdks_timeout_and_retried()
    {
        using var proxy = new FaultyDynamoDb(dynalite);
        using var store = proxy.Store(environment);
        proxy.Fail("PutItem", DynamoDbFault.Hang, naming: Ledger);

        // The SDK gives each attempt 15 s (our config's Timeout); a minute at most, so a write that waits forever fails here.
        var deployed = await new ReleaseRunner(settings, new Rollout(finished: true), store, _ => { }).DeployAsync(Request("2.0.0")).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(ReleaseOutcome.Succeeded, deployed.Release.Outcome);
        Assert.Equal(1, proxy.Failed("PutItem"));
        Assert.Equal([("2.0.0", ReleaseOutcome.Succeeded)], (await ReadAsync()).Select(r => (r.Version, r.Outcome)));
    }

    [DynaliteFact]
    public async Task A_success_the_ledger_cannot_record_is_never_recorded_as_one_and_the_repeated_command_records_it()
    {
        using var proxy = new FaultyDynamoDb(dynalite);
        using var store = proxy.Store(environment);
        proxy.FailAlways("PutItem", DynamoDbFault.InternalServerError, naming: SuccessRecord);
        var rollout = new Rollout(finished: true);

        var unrecorded = await Assert.ThrowsAsync<DeliveryException>(() => new ReleaseRunner(settings, rollout, store, _ => { }).DeployAsync(Request("2.0.0")));

        Assert.True(rollout.Started.IsCompleted, "the rollout never ran");
        Assert.StartsWith($"2.0.0 now serves {settings.Names.Environment}, but the ledger could not record it (DynamoDB recording a release in the ledger on table {dynalite.Table}", unrecorded.Message, StringComparison.Ordinal);
        Assert.EndsWith("it stays in progress there; run the same command again once that is fixed, to record it", unrecorded.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', unrecorded.Message);
        Assert.Equal(DeliveryFailure.Failed, unrecorded.Failure);
        Assert.Equal(7, proxy.Failed("PutItem"));
        Assert.Equal(["in-progress"], (await dynalite.ItemsAsync($"ledger#{environment}")).Select(i => i["outcome"].S));
        Assert.Null(await dynalite.Store(environment).ReadLockAsync());

        proxy.Heal();
        var log = new List<string>();
        var again = await new ReleaseRunner(settings, new Rollout(finished: true), store, log.Add).DeployAsync(Request("2.0.0"));

        Assert.Equal(ReleaseOutcome.Succeeded, again.Release.Outcome);
        Assert.Contains(log, l => l.StartsWith("the deploy of 2.0.0 by ci@runner-1 since", StringComparison.Ordinal));
        Assert.Equal([("2.0.0", ReleaseOutcome.Failed), ("2.0.0", ReleaseOutcome.Succeeded)], (await ReadAsync()).Select(r => (r.Version, r.Outcome)));
    }

    [DynaliteFact]
    public async Task A_rollout_that_fails_while_the_ledger_fails_too_says_the_rollouts_failure()
    {
        using var proxy = new FaultyDynamoDb(dynalite);
        using var store = proxy.Store(environment);
        var rollout = new Rollout();
        var log = new List<string>();
        var deploy = new ReleaseRunner(settings, rollout, store, log.Add).DeployAsync(Request("2.0.0"));
        await RollingOutAsync(rollout, deploy);

        proxy.FailAlways("PutItem", DynamoDbFault.AccessDenied, naming: Ledger);
        rollout.Fail(new DeployFailedException("health check of 2.0.0 failed: 2.0.0 was rolled back", rolledBack: true));

        var failed = await Assert.ThrowsAsync<DeployFailedException>(() => deploy);
        Assert.Equal("health check of 2.0.0 failed: 2.0.0 was rolled back", failed.Message);
        Assert.Contains(log, l => l.StartsWith("how 2.0.0 ended is not recorded: DynamoDB denied dynamodb:PutItem", StringComparison.Ordinal));
        Assert.Equal(["in-progress"], (await dynalite.ItemsAsync($"ledger#{environment}")).Select(i => i["outcome"].S));
    }

    private async Task<IReadOnlyList<Release>> ReadAsync() => await (await dynalite.Store(environment).OpenReadOnlyLedgerAsync(_ => { })).ReadAsync();

    private static LockHolder Me(string host) => LockHolder.Current() with { Who = "ci", Host = host };

    private DeployRequest Request(string version) =>
        new(settings, RepositoryRoot.Path, version, $"registry.example/slipway-api:{version}", null, new Dictionary<string, string>()) { Who = Me("runner-1") };

    private static Release Deploy(string version, ReleaseOutcome outcome) =>
        new(version, ReleaseKind.Deploy, "rolling", "ci@runner-1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, new Dictionary<string, string> { ["api"] = $"registry.example/slipway-api:{version}" }, null, outcome, null);
}
