using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

public enum ReleaseOutcome
{
    InProgress,
    Succeeded,
    RolledBack,
    Failed,
}

public enum ReleaseKind
{
    Deploy,
    Rollback,
}

/// <summary>One deploy or rollback of an environment, as the ledger keeps it.</summary>
/// <param name="Images">Service → image reference by digest.</param>
/// <param name="Colour">The colour this release runs as (blue/green).</param>
/// <param name="Previous">The version that was serving before, if any.</param>
public sealed record Release(
    string Version,
    ReleaseKind Kind,
    string Colour,
    string Who,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    IReadOnlyDictionary<string, string> Images,
    string? MigrationVersion,
    ReleaseOutcome Outcome,
    string? Previous,
    string? Note = null);

/// <summary>
/// The environment's release history, kept on the environment's engine in a volume
/// (<see cref="StackNames.LedgerVolume"/>) as releases.json, read and written through the archive
/// API of a never-started handle container. Writers hold the deploy lock.
/// </summary>
public sealed class ReleaseLedger
{
    public const int Kept = 100;

    /// <summary>The note on a release whose deploy died before recording how it ended.</summary>
    public const string InterruptedNote = "interrupted: the deploy that started it stopped before finishing";

    private const string Folder = "/ledger";
    private const string FileName = "releases.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private readonly DockerClient docker;

    /// <summary>Null for a ledger opened read-only that does not exist yet.</summary>
    private readonly string? handle;

    private ReleaseLedger(DockerClient docker, string? handle)
    {
        this.docker = docker;
        this.handle = handle;
    }

    public static async Task<ReleaseLedger> OpenAsync(DockerClient docker, StackNames names, CancellationToken ct = default)
    {
        if (await docker.Containers.TryInspectAsync(names.LedgerContainer, ct).ConfigureAwait(false) is null)
        {
            await PlaceholderImage.EnsureAsync(docker, ct).ConfigureAwait(false);
            await docker.Volumes.CreateAsync(new VolumeCreateParameters(names.LedgerVolume)
            {
                Labels = new Dictionary<string, string> { ["org.slipway.ledger"] = names.Environment },
            }, ct).ConfigureAwait(false);
            try
            {
                await docker.Containers.CreateAsync(new ContainerSpec
                {
                    Name = names.LedgerContainer,
                    Image = PlaceholderImage.Name,
                    Cmd = ["ledger"],
                    Binds = [$"{names.LedgerVolume}:{Folder}"],
                    Labels = new Dictionary<string, string> { ["org.slipway.ledger"] = names.Environment },
                }, ct).ConfigureAwait(false);
            }
            catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
                // Made by a concurrent reader (Releases while a deploy starts): the same handle.
            }
        }

        return new ReleaseLedger(docker, names.LedgerContainer);
    }

    /// <summary>The ledger for reading only (a dry run): creates nothing, and an environment never deployed has no releases.</summary>
    public static async Task<ReleaseLedger> OpenReadOnlyAsync(DockerClient docker, StackNames names, CancellationToken ct = default) =>
        new(docker, await docker.Containers.TryInspectAsync(names.LedgerContainer, ct).ConfigureAwait(false) is null ? null : names.LedgerContainer);

    /// <summary>Oldest first.</summary>
    public async Task<IReadOnlyList<Release>> ReadAsync(CancellationToken ct = default)
    {
        if (handle is null)
            return [];
        var bytes = await docker.Containers.ReadFileAsync(handle, $"{Folder}/{FileName}", ct).ConfigureAwait(false);
        if (bytes is null)
            return [];
        try
        {
            return JsonSerializer.Deserialize<List<Release>>(bytes, Json) ?? [];
        }
        catch (JsonException e)
        {
            throw new DeployFailedException($"the release ledger on the engine ({FileName}) is unreadable: {e.Message}");
        }
    }

    /// <summary>Adds a release, or replaces the last one when it is the same release (same start), and keeps the newest <see cref="Kept"/>.</summary>
    public async Task RecordAsync(Release release, CancellationToken ct = default)
    {
        var releases = (await ReadAsync(ct).ConfigureAwait(false)).ToList();
        if (releases.Count > 0 && releases[^1].StartedAt == release.StartedAt && releases[^1].Version == release.Version)
            releases[^1] = release;
        else
            releases.Add(release);
        await WriteAsync(releases, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Records how a release ended when its deploy or rollback failed: the outcome, when, and the failure's first line.
    /// Not cancellable: whatever stopped the deploy (Ctrl+C included), the ledger must say so.
    /// </summary>
    public Task RecordFailureAsync(Release release, ReleaseOutcome outcome, Exception failure) =>
        RecordAsync(release with { Outcome = outcome, FinishedAt = DateTimeOffset.UtcNow, Note = failure.Message.Split('\n')[0] }, CancellationToken.None);

    /// <summary>A failed deploy's outcome: rolled back when the previous release kept (or went back to) serving.</summary>
    public static ReleaseOutcome OutcomeOf(Exception failure) =>
        failure is DeployFailedException { RolledBack: true } ? ReleaseOutcome.RolledBack : ReleaseOutcome.Failed;

    /// <summary>
    /// Records every release still in progress as failed (<see cref="InterruptedNote"/>) and returns them as recorded now.
    /// Call it holding the deploy lock: a release in progress then belongs to a deploy that is gone
    /// (killed, or its machine lost) without saying how it ended.
    /// </summary>
    public async Task<IReadOnlyList<Release>> MarkInterruptedAsync(CancellationToken ct = default)
    {
        var releases = (await ReadAsync(ct).ConfigureAwait(false)).ToList();
        var interrupted = new List<Release>();
        for (var i = 0; i < releases.Count; i++)
        {
            if (releases[i].Outcome != ReleaseOutcome.InProgress)
                continue;
            releases[i] = releases[i] with { Outcome = ReleaseOutcome.Failed, Note = InterruptedNote };
            interrupted.Add(releases[i]);
        }

        if (interrupted.Count > 0)
            await WriteAsync(releases, ct).ConfigureAwait(false);
        return interrupted;
    }

    /// <summary>
    /// The ledger for a deploy or rollback that holds the deploy lock: releases a dead deploy left in
    /// progress are recorded as interrupted first, each said in one log line.
    /// </summary>
    public static async Task<ReleaseLedger> OpenHoldingLockAsync(DockerClient docker, StackNames names, Action<string> log, CancellationToken ct = default)
    {
        var ledger = await OpenAsync(docker, names, ct).ConfigureAwait(false);
        foreach (var release in await ledger.MarkInterruptedAsync(ct).ConfigureAwait(false))
            log($"the {release.Kind.ToString().ToLowerInvariant()} of {release.Version} by {release.Who} since {release.StartedAt.ToLocalTime():HH:mm:ss} never finished: recorded as failed (interrupted)");
        return ledger;
    }

    private async Task WriteAsync(List<Release> releases, CancellationToken ct)
    {
        var kept = releases.Skip(Math.Max(0, releases.Count - Kept)).ToList();
        await docker.Containers.WriteFileAsync(handle ?? throw new InvalidOperationException("the ledger was opened read-only"), Folder, FileName, JsonSerializer.SerializeToUtf8Bytes(kept, Json), ct: ct).ConfigureAwait(false);
    }

    /// <summary>The release serving now: the newest that succeeded.</summary>
    public static Release? Current(IReadOnlyList<Release> releases) =>
        releases.LastOrDefault(r => r.Outcome == ReleaseOutcome.Succeeded);

    /// <summary>What a rollback starts from: the release serving now, the one to go back to, and that one's image of <paramref name="appService"/>.</summary>
    public async Task<RollbackChoice> ChooseRollbackAsync(string? toVersion, string environmentName, string appService, CancellationToken ct = default)
    {
        var releases = await ReadAsync(ct).ConfigureAwait(false);
        var current = Current(releases);
        var target = RollbackTarget(releases, current, toVersion, environmentName);
        var image = target.Images.GetValueOrDefault(appService)
            ?? throw new DeployFailedException($"release {target.Version} in the ledger has no {appService} image");
        return new RollbackChoice(current, target, image);
    }

    /// <summary>The release a rollback goes to: <paramref name="toVersion"/> when given, else the newest earlier one that succeeded with other images.</summary>
    public static Release RollbackTarget(IReadOnlyList<Release> releases, Release? current, string? toVersion, string environmentName)
    {
        var succeeded = releases.Where(r => r.Outcome == ReleaseOutcome.Succeeded).ToArray();
        if (toVersion is not null)
        {
            return succeeded.LastOrDefault(r => r.Version == toVersion)
                ?? throw new DeployFailedException($"version {toVersion} never served {environmentName}: pick one from ./build.sh Releases --environment {environmentName}");
        }

        // Compared by images, not version: two builds of one version are different releases.
        return succeeded.LastOrDefault(r => current is null || !r.Images.OrderBy(i => i.Key).SequenceEqual(current.Images.OrderBy(i => i.Key)))
            ?? throw new DeployFailedException($"{environmentName} has no earlier release with other images to roll back to");
    }

    /// <summary>The ledger as a table, newest first.</summary>
    public static string Format(IReadOnlyList<Release> releases)
    {
        if (releases.Count == 0)
            return "no releases yet";
        var current = Current(releases);
        var rows = releases.Reverse().Select(r => new[]
        {
            ReferenceEquals(r, current) ? "* " + r.Version : "  " + r.Version,
            r.Kind.ToString().ToLowerInvariant(),
            JsonNamingPolicy.KebabCaseLower.ConvertName(r.Outcome.ToString()),
            r.Colour,
            r.StartedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
            r.Who,
            r.MigrationVersion ?? "-",
            r.Previous ?? "-",
            string.Join(" ", r.Images.Select(i => $"{i.Key}@{ShortDigest(i.Value)}")),
        }).ToList();
        string[] header = ["Version", "Kind", "Outcome", "Colour", "When", "Who", "Migration", "Previous", "Images"];
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        text.AppendLine(string.Join("  ", header.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in rows)
            text.AppendLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        text.Append("* serving now");
        return text.ToString();
    }

    private static string ShortDigest(string reference) =>
        reference.IndexOf("@sha256:", StringComparison.Ordinal) is var at and >= 0 ? reference[(at + 8)..Math.Min(reference.Length, at + 20)] : reference;
}

/// <param name="Current">The release serving now, if any.</param>
/// <param name="Target">The release to go back to.</param>
/// <param name="AppImage">The target's app image, by digest.</param>
public sealed record RollbackChoice(Release? Current, Release Target, string AppImage);
