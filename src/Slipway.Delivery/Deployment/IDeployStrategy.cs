namespace Slipway.Delivery.Deployment;

/// <summary>
/// One way to run an environment's releases (single host blue-green, swarm; ECS next). A strategy plans from the
/// request and the live state without changing anything, then applies the plan it made; <see cref="ReleaseRunner"/>
/// owns the lock, the ledger and the printed plan, so every strategy gets them the same way.
/// </summary>
public interface IDeployStrategy
{
    /// <summary>Readies the environment before its lock is taken (a swarm needs a manager). A dry run skips it.</summary>
    Task PrepareAsync(CancellationToken ct);

    /// <summary>What serves now, read where traffic goes (the proxy's upstream, the service's labels); null when nothing does.</summary>
    Task<ServingRelease?> ServingAsync(CancellationToken ct);

    /// <summary>The deploy <paramref name="request"/> asks for; changes nothing.</summary>
    Task<IReleasePlan> PlanAsync(DeployRequest request, CancellationToken ct);

    /// <summary>Pulls what the plan runs and refuses what it must not change, before the ledger records anything.</summary>
    Task CheckAsync(IReleasePlan plan, CancellationToken ct);

    /// <summary>
    /// Carries out the plan as <paramref name="release"/>; when it fails, the release serving before keeps serving.
    /// <paramref name="learned"/> gets the record as the release phase completes it (the schema it migrated to), so a
    /// failure after it is recorded with what already changed.
    /// </summary>
    Task<DeployResult> ApplyAsync(IReleasePlan plan, Release release, Action<Release> learned, CancellationToken ct);

    /// <summary>The rollback <paramref name="request"/> asks for, chosen from the ledger and what serves; changes nothing.</summary>
    Task<RollbackPlan> PlanRollbackAsync(RollbackRequest request, ReleaseLedger ledger, CancellationToken ct);

    /// <summary>Carries out the rollback as <paramref name="release"/>.</summary>
    Task<DeployResult> RollBackAsync(RollbackPlan plan, Release release, CancellationToken ct);
}

/// <summary>A deploy before it runs, whatever the strategy: what a dry run prints, and what the real run prints, then executes.</summary>
public interface IReleasePlan
{
    string Version { get; }

    /// <summary>Where the release goes, as the ledger's colour column says: a colour, or <see cref="SwarmDeployer.Rolling"/>.</summary>
    string Colour { get; }

    /// <summary>The images the release runs by service, as the ledger records them: the app's, and the proxy's whose configuration it serves.</summary>
    IReadOnlyDictionary<string, string> Images { get; }

    /// <summary>Whether a release serves already, which this one replaces.</summary>
    bool Replaces { get; }

    /// <summary>From what to what, in a few words.</summary>
    string Summary { get; }

    IEnumerable<string> Describe();
}
