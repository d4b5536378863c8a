using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;

namespace Slipway.Delivery.Tests.Deployment.DynamoDb;

/// <summary>
/// ReleaseRunner with its lock and ledger in DynamoDB (dynalite), as an ECS environment runs it. The strategy is a
/// rollout that lasts until the test ends it (the ECS strategy is another branch's): what is tested is the runner's use
/// of the store, whichever strategy runs under it.
/// </summary>
public sealed class DynamoDbReleaseRunnerTests(Dynalite dynalite) : IClassFixture<Dynalite>
{
    private readonly string environment = "t" + Guid.NewGuid().ToString("N")[..8];
    private readonly DeployEnvironment settings = EnvironmentFile.Load(RepositoryRoot.Path, EnvironmentName.Local);

    [DynaliteFact]
    public async Task A_second_deploy_is_refused_at_once_while_the_first_rolls_out_which_then_is_recorded_as_succeeded()
    {
        using var runner1 = dynalite.Store(environment);
        using var runner2 = dynalite.Store(environment);
        var rollout = new Rollout();
        var first = new ReleaseRunner(settings, rollout, runner1, _ => { }).DeployAsync(Request("2.0.0", "runner-1"));
        await RollingOutAsync(rollout, first);

        var refused = await Assert.ThrowsAsync<DeployLockedException>(() => new ReleaseRunner(settings, new Rollout(), runner2, _ => { }).DeployAsync(Request("2.0.1", "runner-2")));
        Assert.Equal(DeliveryFailure.Locked, refused.Failure);
        Assert.Contains($"{environment} is being deployed by ci@runner-1", refused.Message, StringComparison.Ordinal);

        rollout.Finish();
        var result = await first;
        Assert.Equal(ReleaseOutcome.Succeeded, result.Release.Outcome);
        var releases = await (await runner2.OpenReadOnlyLedgerAsync(_ => { })).ReadAsync();
        Assert.Equal([("2.0.0", ReleaseOutcome.Succeeded)], releases.Select(r => (r.Version, r.Outcome)));
        Assert.Equal(2, (await dynalite.ItemsAsync($"ledger#{environment}")).Count);
        Assert.Null(await runner2.ReadLockAsync());
    }

    [DynaliteFact]
    public async Task A_deploy_whose_lock_is_taken_over_mid_rollout_stops_saying_by_whom_and_the_next_holder_records_it_interrupted()
    {
        using var store = dynalite.Store(environment, lease: TimeSpan.FromSeconds(12));
        var rollout = new Rollout();
        var log = new List<string>();
        var deploy = new ReleaseRunner(settings, rollout, store, log.Add).DeployAsync(Request("2.0.0", "runner-1"));
        await RollingOutAsync(rollout, deploy);

        // runner-1 stalled past its lease and runner-2 took the lock (a new version), as its store does.
        var taker = LockHolder.Current() with { Who = "ci", Host = "runner-2", Expires = DateTimeOffset.UtcNow.AddSeconds(2) };
        await dynalite.LeaveLockAsync(environment, taker, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000);

        // Noticed at the next renewal (every 2 s); a minute at most, so a deploy that never stops fails here.
        var lost = await Assert.ThrowsAsync<DeployLockLostException>(() => deploy.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains($"the deploy lock of {environment} was taken over by ci@runner-2", lost.Message, StringComparison.Ordinal);
        Assert.True(rollout.Stopped, "the rollout went on after the lock was lost");
        Assert.Contains(log, l => l.StartsWith("how 2.0.0 ended is not recorded: ", StringComparison.Ordinal));
        Assert.Equal(["in-progress"], (await dynalite.ItemsAsync($"ledger#{environment}")).Select(i => i["outcome"].S));

        // runner-2's lease runs out too (2 s); the next deploy takes the lock and records 2.0.0 as interrupted.
        while (!(await store.ReadLockAsync())!.IsExpired)
            await Task.Delay(200);
        var nextLog = new List<string>();
        var next = await new ReleaseRunner(settings, new Rollout(finished: true), dynalite.Store(environment), nextLog.Add).DeployAsync(Request("2.0.1", "runner-3"));
        Assert.Equal(ReleaseOutcome.Succeeded, next.Release.Outcome);
        Assert.Contains(nextLog, l => l.StartsWith("the deploy of 2.0.0 by ci@runner-1 since", StringComparison.Ordinal));
        var releases = await (await store.OpenReadOnlyLedgerAsync(_ => { })).ReadAsync();
        Assert.Equal([("2.0.0", ReleaseOutcome.Failed, ReleaseLedger.InterruptedNote), ("2.0.1", ReleaseOutcome.Succeeded, null)], releases.Select(r => (r.Version, r.Outcome, r.Note)));
    }

    /// <summary>Until the deploy reaches its rollout; a deploy that failed before is its failure.</summary>
    internal static async Task RollingOutAsync(Rollout rollout, Task<DeployResult> deploy)
    {
        await Task.WhenAny(rollout.Started, deploy);
        if (deploy.IsCompleted)
            await deploy;
    }

    private DeployRequest Request(string version, string host) =>
        new(settings, RepositoryRoot.Path, version, $"registry.example/slipway-api:{version}", null, new Dictionary<string, string>())
        {
            Who = LockHolder.Current() with { Who = "ci", Host = host },
        };

    /// <summary>A rollout that runs until <see cref="Finish"/>, or until its deploy is stopped.</summary>
    internal sealed class Rollout(bool finished = false) : IDeployStrategy
    {
        private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Started => started.Task;

        public bool Stopped { get; private set; }

        public void Finish() => done.TrySetResult();

        /// <summary>Ends the rollout failing as a strategy's does.</summary>
        public void Fail(Exception failure) => done.TrySetException(failure);

        public Task PrepareAsync(CancellationToken ct) => Task.CompletedTask;

        public Task<ServingRelease?> ServingAsync(CancellationToken ct) => Task.FromResult<ServingRelease?>(null);

        public Task<IReleasePlan> PlanAsync(DeployRequest request, CancellationToken ct) => Task.FromResult<IReleasePlan>(new Plan(request.Version, request.AppImage));

        public Task CheckAsync(IReleasePlan plan, CancellationToken ct) => Task.CompletedTask;

        public async Task<DeployResult> ApplyAsync(IReleasePlan plan, Release release, Action<Release> learned, CancellationToken ct)
        {
            started.TrySetResult();
            if (!finished)
            {
                try
                {
                    await done.Task.WaitAsync(ct);
                }
                catch (OperationCanceledException)
                {
                    Stopped = true;
                    throw;
                }
            }

            return new DeployResult(release with { Outcome = ReleaseOutcome.Succeeded, FinishedAt = DateTimeOffset.UtcNow }, null, "rolling", TimeSpan.Zero, TimeSpan.Zero);
        }

        public Task<RollbackPlan> PlanRollbackAsync(RollbackRequest request, ReleaseLedger ledger, CancellationToken ct) => throw new NotSupportedException();

        public Task<DeployResult> RollBackAsync(RollbackPlan plan, Release release, CancellationToken ct) => throw new NotSupportedException();
    }

    private sealed record Plan(string Version, string AppImage) : IReleasePlan
    {
        public string Colour => "rolling";

        public IReadOnlyDictionary<string, string> Images => new Dictionary<string, string> { ["api"] = AppImage };

        public bool Replaces => false;

        public string Summary => $"→ {Version}";

        public IEnumerable<string> Describe() => [Summary];
    }
}
