using Amazon.Runtime;

namespace Slipway.Delivery.Deployment.DynamoDb;

/// <summary>
/// The lock and ledger of an environment without a Docker engine (ECS), kept in a DynamoDB table: see
/// <see cref="DynamoDbDeployLock"/> and <see cref="DynamoDbReleaseLedger"/> for how each write is made safe.
/// </summary>
public sealed class DynamoDbReleaseStore : IReleaseStore, IDisposable
{
    private readonly DynamoDbTable table;
    private readonly string environment;
    private readonly TimeSpan lease;

    /// <param name="environment">The environment's name, as its items' keys carry it.</param>
    /// <param name="variables">Where AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL are read (Environment.GetEnvironmentVariable).</param>
    /// <param name="credentials">The credentials to use; null: AwsCredentialResolver's default chain.</param>
    /// <param name="lease">How long the lock outlives its last renewal; <see cref="DeployLock.DefaultLease"/> when null.</param>
    public DynamoDbReleaseStore(DynamoDbLocation location, string environment, Func<string, string?> variables, AWSCredentials? credentials = null, TimeSpan? lease = null)
    {
        table = new DynamoDbTable(location, variables, credentials);
        this.environment = environment;
        this.lease = lease ?? DeployLock.DefaultLease;
    }

    public async Task<IDeployLock> AcquireLockAsync(LockHolder me, CancellationToken ct = default) =>
        await DynamoDbDeployLock.AcquireAsync(table, environment, me, lease, ct).ConfigureAwait(false);

    public async Task<LockHolder?> ReadLockAsync(CancellationToken ct = default) =>
        (await DynamoDbDeployLock.ReadAsync(table, environment, ct).ConfigureAwait(false))?.Holder;

    public Task<LockHolder?> BreakLockAsync(bool force, CancellationToken ct = default) => DynamoDbDeployLock.BreakAsync(table, environment, force, ct);

    public async Task<ReleaseLedger> OpenLedgerAsync(IDeployLock held, Action<string> log, CancellationToken ct = default) =>
        await new DynamoDbReleaseLedger(table, environment, held as DynamoDbDeployLock ?? throw new ArgumentException("the lock of another store", nameof(held)), log)
            .MarkInterruptedSayingAsync(ct).ConfigureAwait(false);

    public Task<ReleaseLedger> OpenReadOnlyLedgerAsync(Action<string> log, CancellationToken ct = default) =>
        Task.FromResult<ReleaseLedger>(new DynamoDbReleaseLedger(table, environment, null, log));

    public void Dispose() => table.Dispose();
}
