using Slipway.Delivery.Deployment;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.DeployDriver;
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
    public async Task Records_of_earlier_versions_in_releases_json_are_read_first_and_never_rewritten()
    {
        var ledger = await ReleaseLedger.OpenAsync(docker, names);
        var old = LedgerWriter.Release(1);
        var legacy = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new[] { old with { Outcome = ReleaseOutcome.InProgress }, LedgerWriter.Release(2) with { Outcome = ReleaseOutcome.RolledBack } },
            new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.KebabCaseLower) } });
        await docker.Containers.WriteFileAsync(names.LedgerContainer, "/ledger", "releases.json", legacy);

        await ledger.RecordAsync(old); // how 1.0.1 ended, after the old file said it was in progress
        await ledger.RecordAsync(LedgerWriter.Release(3));

        var read = await (await ReleaseLedger.OpenAsync(docker, names)).ReadAsync();
        Assert.Equal([("1.0.1", ReleaseOutcome.Succeeded), ("1.0.2", ReleaseOutcome.RolledBack), ("1.0.3", ReleaseOutcome.Succeeded)], read.Select(r => (r.Version, r.Outcome)));
        Assert.Equal(legacy, await docker.Containers.ReadFileAsync(names.LedgerContainer, "/ledger/releases.json"));
        var records = await docker.Containers.ReadFilesAsync(names.LedgerContainer, "/ledger/records");
        Assert.Equal(2, records?.Count);
    }

    /// <summary>
    /// A writer in another process is killed (SIGKILL) while the engine has received part of its record: before the
    /// first byte, half-way through the record, or all of it but before the engine answered. Every earlier record is
    /// read back intact, the cut one is lost or whole (never half-read), and the ledger takes the next record after it.
    /// </summary>
    [DockerTheory]
    [InlineData("before the first byte")]
    [InlineData("half-way through the record")]
    [InlineData("all sent, no answer yet")]
    public async Task A_writer_killed_in_the_middle_of_a_write_loses_at_most_that_record(string moment)
    {
        await using var proxy = new CuttingEngineProxy();
        int killed;
        await using (var writer = DriverProcess.StartLedgerWriter(names, count: 5, pauseBefore: 4, proxy.Endpoint))
        {
            await writer.WaitForLineAsync(l => l == "writing 4", TimeSpan.FromMinutes(2));
            proxy.Arm(body => moment switch
            {
                "before the first byte" => 0,
                "half-way through the record" => MiddleOf(body, "\"version\":\"1.0.4\""u8),
                _ => body.Length,
            });
            await writer.ContinueAsync();
            await proxy.Cut.WaitAsync(TimeSpan.FromMinutes(2));
            killed = await writer.KillAsync();
            Assert.DoesNotContain("recorded 4", writer.Transcript, StringComparison.Ordinal);
        }

        Assert.Equal(128 + 9, killed);
        await proxy.Finished.WaitAsync(TimeSpan.FromMinutes(2));
        var log = new List<string>();
        var ledger = await ReleaseLedger.OpenAsync(docker, names, log.Add);
        var survived = await ledger.ReadAsync();

        var whole = moment == "all sent, no answer yet" ? 4 : 3;
        Assert.Equal(Enumerable.Range(1, whole).Select(n => Fields(LedgerWriter.Release(n))), survived.Select(Fields));
        if (moment == "half-way through the record")
            Assert.Matches(@"^ledger record records/0000000004-[0-9a-f]{6}\.json is torn \(its write was interrupted\): ignored$", Assert.Single(log));
        else
            Assert.Empty(log);

        await ledger.RecordAsync(LedgerWriter.Release(5));
        var after = await (await ReleaseLedger.OpenAsync(docker, names, _ => { })).ReadAsync();
        Assert.Equal(Enumerable.Range(1, whole).Append(5).Select(n => $"1.0.{n}"), after.Select(r => r.Version));
    }

    [DockerFact]
    public async Task The_lock_is_exclusive_on_the_engine_and_only_force_breaks_a_live_one()
    {
        var holder = LockHolder.Current();
        var first = await DeployLock.AcquireAsync(docker, names, holder);

        var refused = await Assert.ThrowsAsync<DeployLockedException>(() => DeployLock.AcquireAsync(docker, names, LockHolder.Current()));
        Assert.Equal(holder.Pid, refused.Holder?.Pid);
        Assert.Equal(first.Holder.Since.ToUnixTimeSeconds(), refused.Holder?.Since.ToUnixTimeSeconds());
        Assert.False(refused.Holder!.IsStale);
        Assert.True(refused.Holder.Expires > DateTimeOffset.UtcNow.AddMinutes(1), $"lease until {refused.Holder.Expires:O}");

        var live = await Assert.ThrowsAsync<DeployLockedException>(() => DeployLock.BreakAsync(docker, names, force: false));
        Assert.Equal(
            $"staging is locked by {refused.Holder}, lease renewed until {refused.Holder.Expires.ToLocalTime():HH:mm:ss}: that deploy is alive. " +
            "Wait for it, or run ./build.sh Unlock --environment staging --force if you know it is dead.", live.Message);
        Assert.NotNull(await DeployLock.ReadAsync(docker, names));

        Assert.Equal(holder.Who, (await DeployLock.BreakAsync(docker, names, force: true))?.Who);
        Assert.Null(await DeployLock.ReadAsync(docker, names));
        await first.DisposeAsync(); // releasing a broken lock is harmless

        await using var second = await DeployLock.AcquireAsync(docker, names, holder);
        Assert.NotNull(await DeployLock.ReadAsync(docker, names));
    }

    [DockerFact]
    public async Task A_lock_left_by_another_host_is_live_while_its_lease_runs_and_stale_from_here_once_it_ran_out()
    {
        // As a CI runner leaves it: the pid means nothing on this machine, only the lease tells.
        var now = DateTimeOffset.UtcNow;
        var runner = new LockHolder("ci", "runner-7", 4242, now.AddMinutes(-10), now.AddMinutes(1));
        await LeaveLockAsync(runner);

        Assert.False((await DeployLock.ReadAsync(docker, names))!.IsStale);
        var live = await Assert.ThrowsAsync<DeployLockedException>(() => DeployLock.AcquireAsync(docker, names, LockHolder.Current()));
        Assert.Equal($"staging is being deployed by {runner}, lease renewed until {runner.Expires.ToLocalTime():HH:mm:ss}. Wait, or run ./build.sh Unlock --environment staging --force if that deploy is dead.", live.Message);
        await Assert.ThrowsAsync<DeployLockedException>(() => DeployLock.BreakAsync(docker, names, force: false));

        await docker.Containers.RemoveAsync(names.Lock, force: true);
        var lost = runner with { Expires = now.AddMinutes(-8) };
        await LeaveLockAsync(lost);

        var read = await DeployLock.ReadAsync(docker, names);
        Assert.True(read!.IsStale);
        Assert.Equal($"its lease ran out at {lost.Expires.ToLocalTime():HH:mm:ss}", read.StaleBecause);
        var stale = await Assert.ThrowsAsync<DeployLockedException>(() => DeployLock.AcquireAsync(docker, names, LockHolder.Current()));
        Assert.Equal($"staging is locked by {lost}, but its lease ran out at {lost.Expires.ToLocalTime():HH:mm:ss}: that deploy is dead. Run ./build.sh Unlock --environment staging to break the stale lock, then deploy again.", stale.Message);
        Assert.Equal(lost, await DeployLock.BreakAsync(docker, names, force: false));
        await using var mine = await DeployLock.AcquireAsync(docker, names, LockHolder.Current());
    }

    [DockerFact]
    public async Task A_held_lock_renews_its_lease_until_released()
    {
        var held = await DeployLock.AcquireAsync(docker, names, LockHolder.Current(), lease: TimeSpan.FromSeconds(3));
        var taken = held.Holder.Expires;

        // Waits for the renewal (every half second here), however slow the engine: a condition, not a timing.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        LockHolder? renewed;
        while ((renewed = await DeployLock.ReadAsync(docker, names))!.Expires <= taken.AddSeconds(1) && clock.Elapsed < TimeSpan.FromMinutes(1))
            await Task.Delay(100);
        Assert.True(renewed.Expires > taken.AddSeconds(1), $"lease still until {renewed.Expires:O}, taken until {taken:O}");
        Assert.False(renewed.IsStale);
        Assert.Equal(held.Holder.Since, renewed.Since);

        await held.DisposeAsync();
        Assert.Null(await DeployLock.ReadAsync(docker, names));
    }

    /// <summary>The lock container exactly as a holder elsewhere would have left it.</summary>
    private async Task LeaveLockAsync(LockHolder holder)
    {
        await PlaceholderImage.EnsureAsync(docker);
        await docker.Containers.CreateAsync(new ContainerSpec { Name = names.Lock, Image = PlaceholderImage.Name, Cmd = ["locked"], Labels = holder.ToLabels(names.Environment) });
    }

    private static int MiddleOf(byte[] body, ReadOnlySpan<byte> marker)
    {
        var at = body.AsSpan().IndexOf(marker);
        Assert.True(at >= 0, "the upload does not carry the record");
        return at + marker.Length;
    }

    private static string Fields(Release r) =>
        $"{r.Version} {r.Kind} {r.Colour} {r.Who} {r.StartedAt:O} {r.FinishedAt:O} {string.Join(",", r.Images)} {r.MigrationVersion} {r.Outcome} {r.Previous} {r.PreviousStartedAt:O} {r.Note}";

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
