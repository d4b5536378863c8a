using System.Diagnostics;
using System.Globalization;
using System.Net;
using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// One deploy at a time per environment, held on the environment's own engine: a container named
/// <see cref="StackNames.Lock"/> that is created but never started. Creating a name that exists fails
/// with 409 Conflict, atomically, so two deploys from two laptops cannot both win.
/// </summary>
public sealed class DeployLock : IAsyncDisposable
{
    private const string Label = "org.slipway.lock.";
    private readonly DockerClient docker;
    private readonly string id;

    private DeployLock(DockerClient docker, string id, LockHolder holder)
    {
        this.docker = docker;
        this.id = id;
        Holder = holder;
    }

    public LockHolder Holder { get; }

    public static async Task<DeployLock> AcquireAsync(DockerClient docker, StackNames names, LockHolder me, CancellationToken ct = default)
    {
        await PlaceholderImage.EnsureAsync(docker, ct).ConfigureAwait(false);
        try
        {
            var id = await docker.Containers.CreateAsync(new ContainerSpec
            {
                Name = names.Lock,
                Image = PlaceholderImage.Name,
                Cmd = ["locked"],
                Labels = me.ToLabels(names.Environment),
            }, ct).ConfigureAwait(false);
            return new DeployLock(docker, id, me);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            var holder = await ReadAsync(docker, names, ct).ConfigureAwait(false);
            throw new DeployLockedException(names.Environment, holder);
        }
    }

    /// <summary>Who holds the lock, or null when nobody does.</summary>
    public static async Task<LockHolder?> ReadAsync(DockerClient docker, StackNames names, CancellationToken ct = default) =>
        await docker.Containers.TryInspectAsync(names.Lock, ct).ConfigureAwait(false) is { } container
            ? LockHolder.FromLabels(container.Config.Labels ?? new Dictionary<string, string>())
            : null;

    /// <summary>Removes the lock whoever holds it; returns the holder it broke, or null when there was none.</summary>
    public static async Task<LockHolder?> BreakAsync(DockerClient docker, StackNames names, CancellationToken ct = default)
    {
        var holder = await ReadAsync(docker, names, ct).ConfigureAwait(false);
        if (holder is not null)
            await docker.Containers.RemoveAsync(names.Lock, force: true, ct: ct).ConfigureAwait(false);
        return holder;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await docker.Containers.RemoveAsync(id, force: true).ConfigureAwait(false);
        }
        catch (DockerNotFoundException)
        {
            // Broken with Unlock while we ran: nothing left to release.
        }
    }

    internal static string Prefix => Label;
}

/// <summary>Who took a deploy lock, from where, and when.</summary>
public sealed record LockHolder(string Who, string Host, int Pid, DateTimeOffset Since)
{
    public static LockHolder Current() =>
        new(Environment.UserName, Environment.MachineName, Environment.ProcessId, DateTimeOffset.UtcNow);

    /// <summary>True when the holder ran on this machine and its process is gone (killed mid-deploy).</summary>
    public bool IsStale => string.Equals(Host, Environment.MachineName, StringComparison.Ordinal) && !IsAlive(Pid);

    internal IReadOnlyDictionary<string, string> ToLabels(string environment) => new Dictionary<string, string>
    {
        [DeployLock.Prefix + "who"] = Who,
        [DeployLock.Prefix + "host"] = Host,
        [DeployLock.Prefix + "pid"] = Pid.ToString(CultureInfo.InvariantCulture),
        [DeployLock.Prefix + "since"] = Since.ToString("O", CultureInfo.InvariantCulture),
        [DeployLock.Prefix + "environment"] = environment,
    };

    internal static LockHolder FromLabels(IReadOnlyDictionary<string, string> labels)
    {
        string Get(string key) => labels.TryGetValue(DeployLock.Prefix + key, out var value) ? value : "unknown";
        return new LockHolder(
            Get("who"),
            Get("host"),
            int.TryParse(Get("pid"), CultureInfo.InvariantCulture, out var pid) ? pid : 0,
            DateTimeOffset.TryParse(Get("since"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var since) ? since : DateTimeOffset.MinValue);
    }

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
        $"{Who}@{Host} since {Since.ToLocalTime():HH:mm:ss} (pid {Pid})";
}

/// <summary>Another deploy holds the environment's lock: exit 2 with who, where and what to do.</summary>
public sealed class DeployLockedException(string environment, LockHolder? holder) : Exception(Describe(environment, holder))
{
    public LockHolder? Holder { get; } = holder;

    private static string Describe(string environment, LockHolder? holder)
    {
        var unlock = $"./build.sh Unlock --environment {environment}";
        if (holder is null)
            return $"{environment} is being deployed by someone else (the lock vanished while we looked). Try again.";
        return holder.IsStale
            ? $"{environment} is locked by {holder}, but that process is gone: the deploy was killed. Run {unlock} to break the stale lock, then deploy again."
            : $"{environment} is being deployed by {holder}. Wait, or run {unlock} if that deploy is dead.";
    }
}
