using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// One deploy at a time per environment, held on the environment's own engine: a container named
/// <see cref="StackNames.Lock"/> that is created but never started. Creating a name that exists fails
/// with 409 Conflict, atomically, so two deploys from two laptops cannot both win. The holder keeps a
/// lease on it (a file in that container, rewritten every sixth of the lease while the deploy runs): a
/// lease nobody renewed is stale from any host, so a lock left by a lost CI runner can be broken from a
/// laptop. Expiry is judged by the reader's clock against the holder's: hosts that deploy keep NTP time.
/// </summary>
public sealed class DeployLock : IDeployLock
{
    /// <summary>How long a lock stays live unrenewed: long enough to ride out a few failed renewals on a slow engine.</summary>
    public static readonly TimeSpan DefaultLease = TimeSpan.FromMinutes(2);

    private const string Label = "org.slipway.lock.";
    private const string LeaseFile = "lease";

    private readonly DockerClient docker;
    private readonly string id;
    private readonly CancellationTokenSource stop = new();
    private readonly Task renewal;

    private DeployLock(DockerClient docker, string id, LockHolder holder, TimeSpan lease)
    {
        this.docker = docker;
        this.id = id;
        Holder = holder;
        renewal = RenewAsync(lease);
    }

    public LockHolder Holder { get; }

    /// <summary>Never cancelled: a lock broken with Unlock --force while its deploy runs lets that deploy finish, as it always did.</summary>
    public CancellationToken Lost => CancellationToken.None;

    /// <summary>The engine keeps no version of the lock to check a ledger write against: the holder is whoever made it.</summary>
    public Task ConfirmAsync(CancellationToken ct = default) => Task.CompletedTask;

    /// <param name="lease">How long the lock outlives its last renewal; <see cref="DefaultLease"/> when null.</param>
    /// <exception cref="DeployLockedException">Another deploy holds the lock, live or stale.</exception>
    public static async Task<DeployLock> AcquireAsync(DockerClient docker, StackNames names, LockHolder me, TimeSpan? lease = null, CancellationToken ct = default)
    {
        var length = lease ?? DefaultLease;
        var now = DateTimeOffset.UtcNow;
        var holder = me with { Since = now, Expires = now + length };
        await PlaceholderImage.EnsureAsync(docker, ct).ConfigureAwait(false);
        try
        {
            var id = await docker.Containers.CreateAsync(new ContainerSpec
            {
                Name = names.Lock,
                Image = PlaceholderImage.Name,
                Cmd = ["locked"],
                Labels = holder.ToLabels(names.Environment),
            }, ct).ConfigureAwait(false);
            return new DeployLock(docker, id, holder, length);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            throw DeployLockedException.Refused(names.Environment, await ReadAsync(docker, names, ct).ConfigureAwait(false));
        }
    }

    /// <summary>Who holds the lock and until when, or null when nobody does.</summary>
    public static async Task<LockHolder?> ReadAsync(DockerClient docker, StackNames names, CancellationToken ct = default) =>
        (await FindAsync(docker, names, ct).ConfigureAwait(false))?.Holder;

    /// <summary>
    /// Removes the lock when its holder is gone (lease run out, or a dead process on this host), or whoever holds it
    /// when <paramref name="force"/>; returns the holder it broke, or null when there was none.
    /// </summary>
    /// <exception cref="DeployLockedException">The lease is live and <paramref name="force"/> is false; nothing was removed.</exception>
    public static async Task<LockHolder?> BreakAsync(DockerClient docker, StackNames names, bool force, CancellationToken ct = default)
    {
        if (await FindAsync(docker, names, ct).ConfigureAwait(false) is not { } found)
            return null;
        var (id, holder) = found;
        if (!force && !holder.IsStale)
            throw DeployLockedException.Live(names.Environment, holder);
        try
        {
            // By id: a lock released and taken again since we looked is someone else's, and stays.
            await docker.Containers.RemoveAsync(id, force: true, ct: ct).ConfigureAwait(false);
            return holder;
        }
        catch (DockerNotFoundException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await renewal.ConfigureAwait(false);
        stop.Dispose();
        try
        {
            await docker.Containers.RemoveAsync(id, force: true).ConfigureAwait(false);
        }
        catch (DockerNotFoundException)
        {
            // Broken with Unlock --force while we ran: nothing left to release.
        }
    }

    internal static string Prefix => Label;

    /// <summary>Rewrites the lease until disposed, or until the lock is gone (broken with Unlock --force).</summary>
    private Task RenewAsync(TimeSpan lease) => LeaseRenewal.RunAsync(lease, stop.Token, async ct =>
    {
        try
        {
            var expires = DateTimeOffset.UtcNow + lease;
            await docker.Containers.WriteFileAsync(id, "/", LeaseFile, Encoding.UTF8.GetBytes(expires.ToString("O", CultureInfo.InvariantCulture)), ct: ct).ConfigureAwait(false);
            return true;
        }
        catch (DockerNotFoundException)
        {
            return false;
        }
    }, e => e is DockerTimeoutException or DockerEngineUnreachableException or DockerApiException);

    private static async Task<(string Id, LockHolder Holder)?> FindAsync(DockerClient docker, StackNames names, CancellationToken ct)
    {
        if (await docker.Containers.TryInspectAsync(names.Lock, ct).ConfigureAwait(false) is not { } container)
            return null;
        var holder = LockHolder.FromLabels(container.Config.Labels ?? new Dictionary<string, string>());
        byte[]? renewed;
        try
        {
            renewed = await docker.Containers.ReadFileAsync(container.Id, "/" + LeaseFile, ct).ConfigureAwait(false);
        }
        catch (DockerNotFoundException)
        {
            return null; // released while we looked
        }

        // A renewal cut short by a kill leaves a torn date: the lease is then the one before it.
        return renewed is not null
            && DateTimeOffset.TryParse(Encoding.UTF8.GetString(renewed), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var expires)
            && expires > holder.Expires
            ? (container.Id, holder with { Expires = expires })
            : (container.Id, holder);
    }
}

/// <summary>Who took a deploy lock, from where, when, and until when its lease runs unless renewed.</summary>
public sealed record LockHolder(string Who, string Host, int Pid, DateTimeOffset Since, DateTimeOffset Expires)
{
    public static LockHolder Current() =>
        new(Environment.UserName, Environment.MachineName, Environment.ProcessId, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow + DeployLock.DefaultLease);

    /// <summary>Nobody renewed the lease in time: its holder is gone, whichever host it ran on.</summary>
    public bool IsExpired => Expires <= DateTimeOffset.UtcNow;

    /// <summary>The holder ran on this machine and its process is gone (killed mid-deploy).</summary>
    public bool IsProcessGone => string.Equals(Host, Environment.MachineName, StringComparison.Ordinal) && !IsAlive(Pid);

    /// <summary>The lock can be broken without --force.</summary>
    public bool IsStale => IsExpired || IsProcessGone;

    /// <summary>Why the lock is stale, for messages; null when it is live.</summary>
    public string? StaleBecause =>
        IsProcessGone ? "that process is gone"
        : IsExpired ? $"its lease ran out at {Clock(Expires)}"
        : null;

    internal IReadOnlyDictionary<string, string> ToLabels(string environment) => new Dictionary<string, string>
    {
        [DeployLock.Prefix + "who"] = Who,
        [DeployLock.Prefix + "host"] = Host,
        [DeployLock.Prefix + "pid"] = Pid.ToString(CultureInfo.InvariantCulture),
        [DeployLock.Prefix + "since"] = Since.ToString("O", CultureInfo.InvariantCulture),
        [DeployLock.Prefix + "expires"] = Expires.ToString("O", CultureInfo.InvariantCulture),
        [DeployLock.Prefix + "environment"] = environment,
    };

    internal static LockHolder FromLabels(IReadOnlyDictionary<string, string> labels)
    {
        string Get(string key) => labels.TryGetValue(DeployLock.Prefix + key, out var value) ? value : "unknown";
        static DateTimeOffset? Time(string text) =>
            DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time) ? time : null;
        var since = Time(Get("since")) ?? DateTimeOffset.MinValue;
        return new LockHolder(
            Get("who"),
            Get("host"),
            int.TryParse(Get("pid"), CultureInfo.InvariantCulture, out var pid) ? pid : 0,
            since,
            // A lock taken before leases existed: treated as leased from when it was taken.
            Time(Get("expires")) ?? (since == DateTimeOffset.MinValue ? since : since + DeployLock.DefaultLease));
    }

    internal static string Clock(DateTimeOffset time) => time.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public override string ToString() =>
        $"{Who}@{Host} since {Clock(Since)} (pid {Pid})";
}

/// <summary>
/// Another deploy holds the environment's lock, or Unlock was refused a live lease: who holds it, until when, and
/// what to do, in one line. The build exits with its own code (not 1, not the usage error's 2).
/// </summary>
public sealed class DeployLockedException : DeliveryException
{
    private DeployLockedException(string message, LockHolder? holder)
        : base(message, DeliveryFailure.Locked)
    {
        Holder = holder;
    }

    public LockHolder? Holder { get; }

    /// <summary>A deploy or rollback found the lock taken.</summary>
    public static DeployLockedException Refused(string environment, LockHolder? holder)
    {
        var unlock = UnlockCommand(environment);
        if (holder is null)
            return new($"{environment} is being deployed by someone else (the lock vanished while we looked). Try again.", null);
        return new(holder.StaleBecause is { } gone
            ? $"{environment} is locked by {holder}, but {gone}: that deploy is dead. Run {unlock} to break the stale lock, then deploy again."
            : $"{environment} is being deployed by {holder}, lease renewed until {LockHolder.Clock(holder.Expires)}. Wait, or run {unlock} --force if that deploy is dead.", holder);
    }

    /// <summary>Unlock without --force found a live lease.</summary>
    public static DeployLockedException Live(string environment, LockHolder holder) =>
        new($"{environment} is locked by {holder}, lease renewed until {LockHolder.Clock(holder.Expires)}: that deploy is alive. " +
            $"Wait for it, or run {UnlockCommand(environment)} --force if you know it is dead.", holder);

    private static string UnlockCommand(string environment) => $"./build.sh Unlock --environment {environment}";
}
