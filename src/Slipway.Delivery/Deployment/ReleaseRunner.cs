using Slipway.Delivery.Deployment.DynamoDb;
using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// Runs a strategy's plans the same way for every strategy: the lock, then the plan (printed: what a dry run shows is
/// what runs), then the ledger's "in progress" record, the strategy's actions, and the outcome in the ledger whatever
/// stopped them.
/// </summary>
/// <param name="store">Where the environment keeps its lock and ledger; the caller's to dispose (a runner from <see cref="For"/> disposes its own).</param>
public sealed class ReleaseRunner(DeployEnvironment environment, IDeployStrategy strategy, IReleaseStore store, Action<string> log) : IDisposable
{
    /// <summary>The store <see cref="For"/> made for this runner (a DynamoDB client), disposed with it.</summary>
    private IDisposable? ownedStore;

    /// <summary>
    /// The runner of the strategy <paramref name="environment"/> names, with the store that strategy keeps its lock and
    /// ledger in; dispose it when done (an ecs environment's store holds a DynamoDB client).
    /// </summary>
    public static ReleaseRunner For(DockerClient docker, DeployEnvironment environment, RegistryAuth? auth, Action<string> log)
    {
        switch (environment.Strategy)
        {
            case DeployStrategy.Swarm:
                return new(environment, new SwarmDeployer(docker, environment, auth, log), new DockerReleaseStore(docker, environment.Names), log);
            case DeployStrategy.Ecs when environment.Ecs is { } ecs:
                var table = new DynamoDbReleaseStore(new DynamoDbLocation(ecs.Table, ecs.Region), environment.Names.Environment, Environment.GetEnvironmentVariable);
                return new(environment, new EcsDeployer(environment, log), table, log) { ownedStore = table };
            default:
                return new(environment, new SingleHostDeployer(docker, environment, auth, log), new DockerReleaseStore(docker, environment.Names), log);
        }
    }

    public static async Task<DeployResult> DeployAsync(DockerClient docker, DeployRequest request, Action<string> log, CancellationToken ct = default)
    {
        using var runner = For(docker, request.Environment, request.RegistryAuth, log);
        return await runner.DeployAsync(request, ct).ConfigureAwait(false);
    }

    public static async Task<DeployResult> RollbackAsync(DockerClient docker, RollbackRequest request, Action<string> log, CancellationToken ct = default)
    {
        using var runner = For(docker, request.Environment, request.RegistryAuth, log);
        return await runner.RollbackAsync(request, ct).ConfigureAwait(false);
    }

    public void Dispose() => ownedStore?.Dispose();

    /// <summary>The environment's lock and ledger (Releases and Unlock read and break them there).</summary>
    public IReleaseStore Store => store;

    /// <summary>Deploys under the environment's lock and records the outcome in its ledger.</summary>
    public async Task<DeployResult> DeployAsync(DeployRequest request, CancellationToken ct = default)
    {
        await strategy.PrepareAsync(ct).ConfigureAwait(false);
        await using var deployLock = await store.AcquireLockAsync(request.Who, ct).ConfigureAwait(false);
        using var held = CancellationTokenSource.CreateLinkedTokenSource(ct, deployLock.Lost);
        return await Guarded(deployLock, async () =>
        {
            var plan = await strategy.PlanAsync(request, held.Token).ConfigureAwait(false);
            Print(plan.Describe());
            await strategy.CheckAsync(plan, held.Token).ConfigureAwait(false);

            var ledger = await store.OpenLedgerAsync(deployLock, log, held.Token).ConfigureAwait(false);
            var live = await strategy.ServingAsync(held.Token).ConfigureAwait(false);
            var previous = ReleaseLedger.Reconcile(await ledger.ReadAsync(held.Token).ConfigureAwait(false), live, environment.Names.Environment, environment.Compose.AppService, log);
            var release = new Release(request.Version, ReleaseKind.Deploy, plan.Colour, $"{request.Who.Who}@{request.Who.Host}", DateTimeOffset.UtcNow, null,
                plan.Images, null, ReleaseOutcome.InProgress, live?.Version)
            {
                PreviousStartedAt = previous?.StartedAt,
            };
            var recorded = release;
            return await RecordedAsync(ledger, release, () => recorded, () => strategy.ApplyAsync(plan, release, learned => recorded = learned, held.Token), ReleaseLedger.OutcomeOf, held.Token).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Goes back to a release in the ledger (by default the one that served before what serves now was deployed) under
    /// the environment's lock, without rebuilding. Refused before anything changes when nothing earlier remains or the
    /// schema forbids it.
    /// </summary>
    public async Task<DeployResult> RollbackAsync(RollbackRequest request, CancellationToken ct = default)
    {
        await strategy.PrepareAsync(ct).ConfigureAwait(false);
        await using var deployLock = await store.AcquireLockAsync(request.Who, ct).ConfigureAwait(false);
        using var held = CancellationTokenSource.CreateLinkedTokenSource(ct, deployLock.Lost);
        return await Guarded(deployLock, async () =>
        {
            var ledger = await store.OpenLedgerAsync(deployLock, log, held.Token).ConfigureAwait(false);
            var plan = await strategy.PlanRollbackAsync(request, ledger, held.Token).ConfigureAwait(false);
            Print(plan.Describe());
            var release = plan.Choice.Record(plan.Colour, request.Who);
            return await RecordedAsync(ledger, release, () => release, () => strategy.RollBackAsync(plan, release, held.Token), _ => ReleaseOutcome.Failed, held.Token).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>The deploy a dry run prints: planned as the real run plans it; nothing is locked, pulled or recorded.</summary>
    public Task<IReleasePlan> PlanAsync(DeployRequest request, CancellationToken ct = default) => strategy.PlanAsync(request, ct);

    /// <summary>The rollback a dry run prints, chosen from the ledger read as it is.</summary>
    public async Task<RollbackPlan> PlanRollbackAsync(RollbackRequest request, CancellationToken ct = default) =>
        await strategy.PlanRollbackAsync(request, await store.OpenReadOnlyLedgerAsync(log, ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    public Task<ServingRelease?> ServingAsync(CancellationToken ct = default) => strategy.ServingAsync(ct);

    /// <param name="current">The record as far as the run got, for a failure's outcome.</param>
    private async Task<DeployResult> RecordedAsync(ReleaseLedger ledger, Release release, Func<Release> current, Func<Task<DeployResult>> apply, Func<Exception, ReleaseOutcome> outcomeOf, CancellationToken ct)
    {
        await ledger.RecordAsync(release, ct).ConfigureAwait(false);
        DeployResult result;
        try
        {
            result = await apply().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Whatever stopped it (a failed check, the engine, Ctrl+C), the ledger says how it ended, unless the lock was
            // lost (the ledger is then the new holder's, which records this release as interrupted) or the ledger itself
            // fails: the failure said is then still the one that stopped the release.
            try
            {
                await ledger.RecordFailureAsync(current(), outcomeOf(e), e).ConfigureAwait(false);
            }
            catch (DeliveryException unrecorded)
            {
                log($"how {release.Version} ended is not recorded: {unrecorded.Message}");
            }

            throw;
        }

        try
        {
            await ledger.RecordAsync(result.Release, ct).ConfigureAwait(false);
        }
        catch (DeliveryException e) when (e is not DeployLockLostException)
        {
            // The release serves, but the ledger says it is in progress, which the next holder records as interrupted:
            // never a failure it was not, nor a success it cannot vouch for. Running the same command again records it.
            throw new DeliveryException($"{release.Version} now serves {environment.Names.Environment}, but the ledger could not record it ({e.Message}): it stays in progress there; run the same command again once that is fixed, to record it", e.Failure, e);
        }

        return result;
    }

    /// <summary>Runs what the lock protects; once the lock is lost, whatever that stopped fails saying so.</summary>
    private static async Task<DeployResult> Guarded(IDeployLock deployLock, Func<Task<DeployResult>> run)
    {
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (Exception e) when (deployLock.Lost.IsCancellationRequested && e is not DeployLockLostException)
        {
            throw await LostAsync(deployLock).ConfigureAwait(false);
        }
    }

    /// <summary>The lock's own account of how it was lost.</summary>
    private static async Task<DeployLockLostException> LostAsync(IDeployLock deployLock)
    {
        try
        {
            await deployLock.ConfirmAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (DeployLockLostException lost)
        {
            return lost;
        }

        return new DeployLockLostException($"the deploy lock was taken by another deploy while {deployLock.Holder} held it: this deploy stopped");
    }

    private void Print(IEnumerable<string> lines)
    {
        foreach (var line in lines)
            log(line);
    }
}
