using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Tests.Deployment;

/// <summary>The ledger and the lock live on the engine (volume + never-started containers); tested on the real one.</summary>
public sealed class LedgerAndLockTests : IAsyncLifetime
{
    private readonly DockerClient docker = new();
    private readonly StackNames names = new("t" + Guid.NewGuid().ToString("N")[..8], "staging");

    [DockerFact]
    public async Task Releases_written_through_the_archive_api_are_read_back_by_a_fresh_handle()
    {
        var ledger = await ReleaseLedger.OpenAsync(docker, names);
        Assert.Empty(await ledger.ReadAsync());
        var started = DateTimeOffset.UtcNow;
        var release = new Release("1.0.0+abc1234", ReleaseKind.Deploy, "blue", "ops@host", started, null,
            new Dictionary<string, string> { ["api"] = "127.0.0.1:5000/slipway-api@sha256:0123456789abcdef" }, "3", ReleaseOutcome.InProgress, null);

        await ledger.RecordAsync(release);
        await ledger.RecordAsync(release with { Outcome = ReleaseOutcome.Succeeded, FinishedAt = started.AddSeconds(5) });
        await ledger.RecordAsync(release with { Version = "1.1.0+def5678", StartedAt = started.AddMinutes(1), Outcome = ReleaseOutcome.RolledBack, Previous = "1.0.0+abc1234" });

        var reopened = await (await ReleaseLedger.OpenAsync(docker, names)).ReadAsync();
        Assert.Equal([("1.0.0+abc1234", ReleaseOutcome.Succeeded), ("1.1.0+def5678", ReleaseOutcome.RolledBack)], reopened.Select(r => (r.Version, r.Outcome)));
        Assert.Equal("127.0.0.1:5000/slipway-api@sha256:0123456789abcdef", reopened[0].Images["api"]);
        Assert.Equal("1.0.0+abc1234", ReleaseLedger.Current(reopened)?.Version);
        var volume = await docker.Volumes.InspectAsync(names.LedgerVolume);
        Assert.Equal("staging", volume.Labels?["org.slipway.ledger"]);
    }

    [DockerFact]
    public async Task A_release_left_in_progress_is_recorded_as_interrupted_and_the_rest_is_kept_as_it_was()
    {
        var ledger = await ReleaseLedger.OpenAsync(docker, names);
        Assert.Empty(await ledger.MarkInterruptedAsync());
        var started = DateTimeOffset.UtcNow;
        var images = new Dictionary<string, string> { ["api"] = "127.0.0.1:5000/slipway-api@sha256:0123456789abcdef" };
        var served = new Release("1.0.0+abc1234", ReleaseKind.Deploy, "blue", "ops@host", started, started.AddSeconds(5), images, "3", ReleaseOutcome.Succeeded, null);
        var killed = new Release("1.1.0+def5678", ReleaseKind.Deploy, "green", "dev@laptop", started.AddMinutes(1), null, images, "4", ReleaseOutcome.InProgress, "1.0.0+abc1234");
        await ledger.RecordAsync(served);
        await ledger.RecordAsync(killed);

        var interrupted = Assert.Single(await ledger.MarkInterruptedAsync());

        Assert.Equal((killed.Version, ReleaseOutcome.Failed, ReleaseLedger.InterruptedNote), (interrupted.Version, interrupted.Outcome, interrupted.Note));
        var reopened = await (await ReleaseLedger.OpenAsync(docker, names)).ReadAsync();
        Assert.Equal([(served.Version, ReleaseOutcome.Succeeded, null), (killed.Version, ReleaseOutcome.Failed, ReleaseLedger.InterruptedNote)],
            reopened.Select(r => (r.Version, r.Outcome, r.Note)));
        Assert.Equal((killed.StartedAt, killed.FinishedAt, killed.Who, killed.Colour, killed.MigrationVersion, killed.Previous),
            (reopened[1].StartedAt, reopened[1].FinishedAt, reopened[1].Who, reopened[1].Colour, reopened[1].MigrationVersion, reopened[1].Previous));
        Assert.Equal("1.0.0+abc1234", ReleaseLedger.Current(reopened)?.Version);
        Assert.Contains("  1.1.0+def5678  deploy  failed", ReleaseLedger.Format(reopened), StringComparison.Ordinal);

        Assert.Empty(await ledger.MarkInterruptedAsync());
    }

    [DockerFact]
    public async Task The_lock_is_exclusive_on_the_engine_and_can_be_broken()
    {
        var holder = LockHolder.Current();
        var first = await DeployLock.AcquireAsync(docker, names, holder);

        var refused = await Assert.ThrowsAsync<DeployLockedException>(() => DeployLock.AcquireAsync(docker, names, LockHolder.Current()));
        Assert.Equal(holder.Pid, refused.Holder?.Pid);
        Assert.Equal(holder.Since.ToUnixTimeSeconds(), refused.Holder?.Since.ToUnixTimeSeconds());
        Assert.False(refused.Holder!.IsStale);

        Assert.Equal(holder.Who, (await DeployLock.BreakAsync(docker, names))?.Who);
        Assert.Null(await DeployLock.ReadAsync(docker, names));
        await first.DisposeAsync(); // releasing a broken lock is harmless

        await using var second = await DeployLock.AcquireAsync(docker, names, holder);
        Assert.NotNull(await DeployLock.ReadAsync(docker, names));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (RealServers.DockerReachable)
        {
            foreach (var container in new[] { names.Lock, names.LedgerContainer })
            {
                try
                {
                    await docker.Containers.RemoveAsync(container, force: true);
                }
                catch (DockerNotFoundException)
                {
                }
            }

            try
            {
                await docker.Volumes.RemoveAsync(names.LedgerVolume, force: true);
            }
            catch (DockerNotFoundException)
            {
            }
        }

        docker.Dispose();
    }
}
