namespace Slipway.Delivery.Deployment;

/// <summary>
/// Where an environment keeps its deploy lock and release ledger: on its Docker engine (<see cref="DockerReleaseStore"/>),
/// or in a DynamoDB table for an environment without one (<see cref="DynamoDb.DynamoDbReleaseStore"/>).
/// </summary>
public interface IReleaseStore
{
    /// <summary>Takes the environment's lock for <paramref name="me"/>, renewing its lease until disposed.</summary>
    /// <exception cref="DeployLockedException">Another deploy holds the lock, live or stale.</exception>
    Task<IDeployLock> AcquireLockAsync(LockHolder me, CancellationToken ct = default);

    /// <summary>Who holds the lock and until when, or null when nobody does.</summary>
    Task<LockHolder?> ReadLockAsync(CancellationToken ct = default);

    /// <summary>
    /// Removes the lock when its holder is gone (lease run out, or a dead process on this host), or whoever holds it
    /// when <paramref name="force"/>; returns the holder it broke, or null when there was none.
    /// </summary>
    /// <exception cref="DeployLockedException">The lease is live and <paramref name="force"/> is false; nothing was removed.</exception>
    Task<LockHolder?> BreakLockAsync(bool force, CancellationToken ct = default);

    /// <summary>
    /// The ledger for the deploy or rollback holding <paramref name="held"/>: releases a dead deploy left in progress are
    /// recorded as interrupted first, each said in one line of <paramref name="log"/>.
    /// </summary>
    Task<ReleaseLedger> OpenLedgerAsync(IDeployLock held, Action<string> log, CancellationToken ct = default);

    /// <summary>The ledger for reading only (Releases, a dry run): creates nothing; an environment never deployed has no releases.</summary>
    Task<ReleaseLedger> OpenReadOnlyLedgerAsync(Action<string> log, CancellationToken ct = default);
}

/// <summary>The environment's deploy lock, held: its lease is renewed until disposed, which releases it.</summary>
public interface IDeployLock : IAsyncDisposable
{
    LockHolder Holder { get; }

    /// <summary>
    /// Cancelled when the lock is found to be another deploy's (our lease ran out and was taken over, or was broken
    /// with Unlock --force): what this deploy does from then on is no longer protected, so it stops.
    /// </summary>
    CancellationToken Lost { get; }

    /// <summary>Checks the lock is still ours right before a write only its holder may make (a ledger record).</summary>
    /// <exception cref="DeployLockLostException">It is not.</exception>
    Task ConfirmAsync(CancellationToken ct = default);
}

/// <summary>The deploy lock was taken from a running deploy; the deploy stops, exit 1.</summary>
public sealed class DeployLockLostException(string message) : DeliveryException(message);
