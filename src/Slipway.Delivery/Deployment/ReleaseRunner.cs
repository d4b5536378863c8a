using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// Runs a strategy's plans the same way for every strategy: the lock, then the plan (printed: what a dry run shows is
/// what runs), then the ledger's "in progress" record, the strategy's actions, and the outcome in the ledger whatever
/// stopped them.
/// </summary>
public sealed class ReleaseRunner(DockerClient docker, DeployEnvironment environment, IDeployStrategy strategy, Action<string> log)
{
    /// <summary>The runner of the strategy <paramref name="environment"/> names.</summary>
    public static ReleaseRunner For(DockerClient docker, DeployEnvironment environment, RegistryAuth? auth, Action<string> log) =>
        new(docker, environment, environment.Strategy switch
        {
            DeployStrategy.Swarm => new SwarmDeployer(docker, environment, auth, log),
            DeployStrategy.Ecs => new EcsDeployer(environment, log),
            _ => new SingleHostDeployer(docker, environment, auth, log),
        }, log);

    public static Task<DeployResult> DeployAsync(DockerClient docker, DeployRequest request, Action<string> log, CancellationToken ct = default) =>
        For(docker, request.Environment, request.RegistryAuth, log).DeployAsync(request, ct);

    public static Task<DeployResult> RollbackAsync(DockerClient docker, RollbackRequest request, Action<string> log, CancellationToken ct = default) =>
        For(docker, request.Environment, request.RegistryAuth, log).RollbackAsync(request, ct);

    private StackNames Names => environment.Names;

    /// <summary>Deploys under the environment's lock and records the outcome in its ledger.</summary>
    public async Task<DeployResult> DeployAsync(DeployRequest request, CancellationToken ct = default)
    {
        await strategy.PrepareAsync(ct).ConfigureAwait(false);
        await using var deployLock = await DeployLock.AcquireAsync(docker, Names, request.Who, ct: ct).ConfigureAwait(false);
        var plan = await strategy.PlanAsync(request, ct).ConfigureAwait(false);
        Print(plan.Describe());
        await strategy.CheckAsync(plan, ct).ConfigureAwait(false);

        var ledger = await ReleaseLedger.OpenHoldingLockAsync(docker, Names, log, ct).ConfigureAwait(false);
        var live = await strategy.ServingAsync(ct).ConfigureAwait(false);
        var previous = ReleaseLedger.Reconcile(await ledger.ReadAsync(ct).ConfigureAwait(false), live, Names.Environment, environment.Compose.AppService, log);
        var release = new Release(request.Version, ReleaseKind.Deploy, plan.Colour, $"{request.Who.Who}@{request.Who.Host}", DateTimeOffset.UtcNow, null,
            plan.Images, null, ReleaseOutcome.InProgress, live?.Version)
        {
            PreviousStartedAt = previous?.StartedAt,
        };
        var recorded = release;
        return await RecordedAsync(ledger, release, () => recorded, () => strategy.ApplyAsync(plan, release, learned => recorded = learned, ct), ReleaseLedger.OutcomeOf, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Goes back to a release in the ledger (by default the one that served before what serves now was deployed) under
    /// the environment's lock, without rebuilding. Refused before anything changes when nothing earlier remains or the
    /// schema forbids it.
    /// </summary>
    public async Task<DeployResult> RollbackAsync(RollbackRequest request, CancellationToken ct = default)
    {
        await strategy.PrepareAsync(ct).ConfigureAwait(false);
        await using var deployLock = await DeployLock.AcquireAsync(docker, Names, request.Who, ct: ct).ConfigureAwait(false);
        var ledger = await ReleaseLedger.OpenHoldingLockAsync(docker, Names, log, ct).ConfigureAwait(false);
        var plan = await strategy.PlanRollbackAsync(request, ledger, ct).ConfigureAwait(false);
        Print(plan.Describe());
        var release = plan.Choice.Record(plan.Colour, request.Who);
        return await RecordedAsync(ledger, release, () => release, () => strategy.RollBackAsync(plan, release, ct), _ => ReleaseOutcome.Failed, ct).ConfigureAwait(false);
    }

    /// <summary>The deploy a dry run prints: planned as the real run plans it; nothing is locked, pulled or recorded.</summary>
    public Task<IReleasePlan> PlanAsync(DeployRequest request, CancellationToken ct = default) => strategy.PlanAsync(request, ct);

    /// <summary>The rollback a dry run prints, chosen from the ledger read as it is.</summary>
    public async Task<RollbackPlan> PlanRollbackAsync(RollbackRequest request, CancellationToken ct = default) =>
        await strategy.PlanRollbackAsync(request, await ReleaseLedger.OpenReadOnlyAsync(docker, Names, ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    public Task<ServingRelease?> ServingAsync(CancellationToken ct = default) => strategy.ServingAsync(ct);

    /// <param name="current">The record as far as the run got, for a failure's outcome.</param>
    private static async Task<DeployResult> RecordedAsync(ReleaseLedger ledger, Release release, Func<Release> current, Func<Task<DeployResult>> apply, Func<Exception, ReleaseOutcome> outcomeOf, CancellationToken ct)
    {
        await ledger.RecordAsync(release, ct).ConfigureAwait(false);
        try
        {
            var result = await apply().ConfigureAwait(false);
            await ledger.RecordAsync(result.Release, ct).ConfigureAwait(false);
            return result;
        }
        catch (Exception e)
        {
            // Whatever stopped it (a failed check, the engine, Ctrl+C), the ledger says how it ended.
            await ledger.RecordFailureAsync(current(), outcomeOf(e), e).ConfigureAwait(false);
            throw;
        }
    }

    private void Print(IEnumerable<string> lines)
    {
        foreach (var line in lines)
            log(line);
    }
}
