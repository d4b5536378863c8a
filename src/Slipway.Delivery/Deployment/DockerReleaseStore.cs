using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>The lock and ledger of an environment with a Docker engine (single host, swarm), kept on that engine.</summary>
/// <param name="lease">How long the lock outlives its last renewal; <see cref="DeployLock.DefaultLease"/> when null.</param>
public sealed class DockerReleaseStore(DockerClient docker, StackNames names, TimeSpan? lease = null) : IReleaseStore
{
    public async Task<IDeployLock> AcquireLockAsync(LockHolder me, CancellationToken ct = default) =>
        await DeployLock.AcquireAsync(docker, names, me, lease, ct).ConfigureAwait(false);

    public Task<LockHolder?> ReadLockAsync(CancellationToken ct = default) => DeployLock.ReadAsync(docker, names, ct);

    public Task<LockHolder?> BreakLockAsync(bool force, CancellationToken ct = default) => DeployLock.BreakAsync(docker, names, force, ct);

    public async Task<ReleaseLedger> OpenLedgerAsync(IDeployLock held, Action<string> log, CancellationToken ct = default) =>
        await (await DockerReleaseLedger.OpenAsync(docker, names, log, ct).ConfigureAwait(false)).MarkInterruptedSayingAsync(ct).ConfigureAwait(false);

    public async Task<ReleaseLedger> OpenReadOnlyLedgerAsync(Action<string> log, CancellationToken ct = default) =>
        await DockerReleaseLedger.OpenReadOnlyAsync(docker, names, log, ct).ConfigureAwait(false);
}
