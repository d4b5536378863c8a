using System.Globalization;
using System.Security.Cryptography;
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
/// <param name="MigrationVersion">The schema version the database was at while this release served: what a deploy
/// migrated to, and for a rollback the live schema it went back onto (a rollback does not migrate).</param>
/// <param name="Previous">The version a rollback from this release goes back to: for a deploy, what was serving
/// before it; for a rollback, what was serving before its release was first deployed. Null: nothing earlier.</param>
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
    string? Note = null)
{
    /// <summary>When the release <see cref="Previous"/> names started: which one it is, since a version can be deployed more than once.</summary>
    public DateTimeOffset? PreviousStartedAt { get; init; }
}

/// <summary>
/// The environment's release history, kept on the environment's engine in a volume (<see cref="StackNames.LedgerVolume"/>),
/// read and written through the archive API of a never-started handle container. Append-only: every change of a
/// release is one new file under records/, numbered in order, and no file is ever rewritten, so a write killed at any
/// moment loses at most the record it was writing. A torn record is ignored, said in one line. Reading folds the
/// records: a release (its start and version) stands as its newest record says. Writers hold the deploy lock.
/// releases.json, the whole list rewritten in place by earlier versions, is read as the records before the first.
/// </summary>
public sealed class ReleaseLedger
{
    public const int Kept = 100;

    /// <summary>The note on a release whose deploy died before recording how it ended.</summary>
    public const string InterruptedNote = "interrupted: the deploy that started it stopped before finishing";

    private const string Folder = "/ledger";
    private const string Records = "records";
    private const string LegacyFile = "releases.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private readonly DockerClient docker;

    /// <summary>Null for a ledger opened read-only that does not exist yet.</summary>
    private readonly string? handle;

    private readonly Action<string> log;
    private readonly HashSet<string> reportedTorn = new(StringComparer.Ordinal);
    private long? lastRecord;

    private ReleaseLedger(DockerClient docker, string? handle, Action<string> log)
    {
        this.docker = docker;
        this.handle = handle;
        this.log = log;
    }

    /// <param name="log">Where a torn record is said (once per ledger opened).</param>
    public static async Task<ReleaseLedger> OpenAsync(DockerClient docker, StackNames names, Action<string>? log = null, CancellationToken ct = default)
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

        return new ReleaseLedger(docker, names.LedgerContainer, log ?? (_ => { }));
    }

    /// <summary>The ledger for reading only (a dry run): creates nothing, and an environment never deployed has no releases.</summary>
    public static async Task<ReleaseLedger> OpenReadOnlyAsync(DockerClient docker, StackNames names, CancellationToken ct = default) =>
        new(docker, await docker.Containers.TryInspectAsync(names.LedgerContainer, ct).ConfigureAwait(false) is null ? null : names.LedgerContainer, _ => { });

    /// <summary>Oldest first, the newest <see cref="Kept"/>.</summary>
    public async Task<IReadOnlyList<Release>> ReadAsync(CancellationToken ct = default)
    {
        if (handle is null)
            return [];
        var files = await docker.Containers.ReadFilesAsync(handle, Folder, ct).ConfigureAwait(false) ?? [];
        var releases = new List<Release>();
        if (files.FirstOrDefault(f => f.Name == $"ledger/{LegacyFile}") is { } legacy)
            releases.AddRange(ReadLegacy(legacy.Content));

        var records = files
            .Select(f => (File: f, Number: RecordNumber(f.Name)))
            .Where(r => r.Number is not null)
            .OrderBy(r => r.Number)
            .ThenBy(r => r.File.Name, StringComparer.Ordinal);
        lastRecord = 0;
        foreach (var (file, number) in records)
        {
            lastRecord = Math.Max(lastRecord.Value, number!.Value);
            if (Parse(file.Content) is not { } release)
            {
                if (reportedTorn.Add(file.Name))
                    log($"ledger record {file.Name[(file.Name.IndexOf('/', StringComparison.Ordinal) + 1)..]} is torn (its write was interrupted): ignored");
                continue;
            }

            var same = releases.FindLastIndex(r => r.StartedAt == release.StartedAt && r.Version == release.Version);
            if (same >= 0)
                releases[same] = release;
            else
                releases.Add(release);
        }

        return releases.Skip(Math.Max(0, releases.Count - Kept)).ToList();
    }

    /// <summary>Appends how a release stands now; the newest record of a release (same start, same version) is the one read.</summary>
    public async Task RecordAsync(Release release, CancellationToken ct = default)
    {
        if (lastRecord is null)
            await ReadAsync(ct).ConfigureAwait(false);
        var number = (lastRecord ?? 0) + 1;
        lastRecord = number;
        // The random part keeps two writers apart should a lock broken with --force let them overlap.
        var name = $"{Records}/{number:D10}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}.json";
        await docker.Containers.WriteFileAsync(handle ?? throw new InvalidOperationException("the ledger was opened read-only"), Folder, name, JsonSerializer.SerializeToUtf8Bytes(release, Json), ct: ct).ConfigureAwait(false);
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
        var interrupted = (await ReadAsync(ct).ConfigureAwait(false))
            .Where(r => r.Outcome == ReleaseOutcome.InProgress)
            .Select(r => r with { Outcome = ReleaseOutcome.Failed, Note = InterruptedNote })
            .ToList();
        foreach (var release in interrupted)
            await RecordAsync(release, ct).ConfigureAwait(false);
        return interrupted;
    }

    /// <summary>
    /// The ledger for a deploy or rollback that holds the deploy lock: releases a dead deploy left in
    /// progress are recorded as interrupted first, each said in one log line.
    /// </summary>
    public static async Task<ReleaseLedger> OpenHoldingLockAsync(DockerClient docker, StackNames names, Action<string> log, CancellationToken ct = default)
    {
        var ledger = await OpenAsync(docker, names, log, ct).ConfigureAwait(false);
        foreach (var release in await ledger.MarkInterruptedAsync(ct).ConfigureAwait(false))
            log($"the {release.Kind.ToString().ToLowerInvariant()} of {release.Version} by {release.Who} since {release.StartedAt.ToLocalTime():HH:mm:ss} never finished: recorded as failed (interrupted)");
        return ledger;
    }

    /// <summary>The release serving now by the ledger alone: the newest that succeeded.</summary>
    public static Release? Current(IReadOnlyList<Release> releases) =>
        releases.LastOrDefault(r => r.Outcome == ReleaseOutcome.Succeeded);

    /// <summary>
    /// The ledger's record of what serves (<paramref name="serving"/>, read from the proxy or the service): the newest
    /// success running that version and image. When the ledger's newest success is something else, says so in one
    /// line: what serves is the truth, and the result follows it.
    /// </summary>
    public static Release? Reconcile(IReadOnlyList<Release> releases, ServingRelease? serving, string environmentName, string appService, Action<string> log)
    {
        var newest = Current(releases);
        var record = serving is null ? null : releases.LastOrDefault(r => r.Outcome == ReleaseOutcome.Succeeded && serving.Runs(r, appService));
        if (ReferenceEquals(newest, record))
            return record;
        var ledgerSays = newest is null ? $"the ledger records nothing serving {environmentName}" : $"the ledger says {Describe(newest, appService)} serves {environmentName}";
        var serves = serving is null ? "nothing serves it" : $"{serving.Where} runs {serving.Describe()}";
        log($"{ledgerSays}, but {serves}: going by what serves");
        return record;
    }

    /// <summary>
    /// What a rollback from <paramref name="serving"/> goes back to (<see cref="ChooseRollback"/>), once the schema allows
    /// it (<see cref="RollbackSchemaCheck"/>). Reads only: a refusal leaves the ledger as it was.
    /// </summary>
    public async Task<RollbackChoice> ChooseRollbackAsync(ServingRelease? serving, RollbackRequest request, string appService, CancellationToken ct = default)
    {
        var choice = ChooseRollback(await ReadAsync(ct).ConfigureAwait(false), serving, request.ToVersion, request.Environment.Names.Environment, appService, log);
        RollbackSchemaCheck.Check(choice, request.Migrations, request.AllowNewerSchema, log);
        return choice;
    }

    /// <summary>
    /// What a rollback goes back to. With <paramref name="toVersion"/>, the newest success of that version. Without it,
    /// the release that was serving before the one serving now was deployed (its <see cref="Release.Previous"/>): so
    /// repeated rollbacks walk back down the chain, never forward, and refuse when nothing earlier remains.
    /// </summary>
    public static RollbackChoice ChooseRollback(IReadOnlyList<Release> releases, ServingRelease? serving, string? toVersion, string environmentName, string appService, Action<string> log)
    {
        var current = Reconcile(releases, serving, environmentName, appService, log);
        var pick = $"./build.sh Releases --environment {environmentName} lists them";
        Release target;
        if (toVersion is not null)
        {
            target = releases.LastOrDefault(r => r.Outcome == ReleaseOutcome.Succeeded && r.Version == toVersion)
                ?? throw new DeployFailedException($"version {toVersion} never served {environmentName}: pick one from ./build.sh Releases --environment {environmentName}");
            if (serving is not null && serving.Runs(target, appService))
                throw new DeployFailedException($"{toVersion} is what serves {environmentName} now: nothing to roll back; nothing changed");
        }
        else if (serving is null)
        {
            throw new DeployFailedException($"nothing serves {environmentName} now, so nothing came before it: deploy, or roll back with --to-version V ({pick}); nothing changed");
        }
        else if (current is null)
        {
            throw new DeployFailedException($"{serving.Where} runs {serving.Describe()}, which the ledger never recorded, so what served before it is unknown: roll back with --to-version V ({pick}); nothing changed");
        }
        else
        {
            target = PreviousOf(releases, current) ?? throw new DeployFailedException(current.Previous is null
                ? $"nothing earlier remains to roll back to: {current.Version} is the oldest release in the chain of what served {environmentName}; nothing changed"
                : $"{current.Previous}, which served before {current.Version}, is no longer in the ledger: roll back with --to-version V ({pick}); nothing changed");
        }

        var image = target.Images.GetValueOrDefault(appService)
            ?? throw new DeployFailedException($"release {target.Version} in the ledger has no {appService} image");
        return new RollbackChoice(current, serving?.Version, target, image, SchemaOf(releases, target));
    }

    /// <summary>The release <paramref name="release"/>'s Previous points at; null when it points nowhere or that release is gone.</summary>
    internal static Release? PreviousOf(IReadOnlyList<Release> releases, Release release)
    {
        if (release.Previous is not { } version)
            return null;
        return release.PreviousStartedAt is { } started
            ? releases.LastOrDefault(r => r.Outcome == ReleaseOutcome.Succeeded && r.Version == version && r.StartedAt == started)
            // Recorded before releases named their predecessor's start: the newest success of that version before it.
            : releases.LastOrDefault(r => r.Outcome == ReleaseOutcome.Succeeded && r.Version == version && r.StartedAt < release.StartedAt);
    }

    /// <summary>The schema a release was built for: what its first successful deploy migrated to (null: not recorded).</summary>
    internal static string? SchemaOf(IReadOnlyList<Release> releases, Release release) =>
        releases.FirstOrDefault(r => r.Kind == ReleaseKind.Deploy && r.Outcome == ReleaseOutcome.Succeeded && r.Version == release.Version && SameImages(r.Images, release.Images))?.MigrationVersion;

    /// <summary>The ledger as a table, newest first; <paramref name="serving"/> (what serves, reconciled) is marked, else the ledger's newest success.</summary>
    public static string Format(IReadOnlyList<Release> releases, Release? serving = null)
    {
        if (releases.Count == 0)
            return "no releases yet";
        var current = serving ?? Current(releases);
        var rows = releases.Reverse().Select(r => new[]
        {
            ReferenceEquals(r, current) ? "* " + r.Version : "  " + r.Version,
            r.Kind.ToString().ToLowerInvariant(),
            JsonNamingPolicy.KebabCaseLower.ConvertName(r.Outcome.ToString()),
            r.Colour,
            r.StartedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
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

    /// <summary>Two references to one image: the same digest when both name one, else the same text.</summary>
    internal static bool SameImage(string a, string b) =>
        DigestOf(a) is { } left && DigestOf(b) is { } right ? left == right : a == b;

    internal static string ShortDigest(string reference) =>
        DigestOf(reference) is { } digest ? digest[7..Math.Min(digest.Length, 19)] : reference;

    private static string? DigestOf(string reference) =>
        reference.IndexOf("@sha256:", StringComparison.Ordinal) is var at and >= 0 ? reference[(at + 1)..] : null;

    private static bool SameImages(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(i => b.TryGetValue(i.Key, out var other) && SameImage(i.Value, other));

    private static string Describe(Release release, string appService) =>
        release.Images.TryGetValue(appService, out var image) ? $"{release.Version} ({appService}@{ShortDigest(image)})" : release.Version;

    /// <summary>ledger/records/0000000012-a1b2c3.json → 12; null for anything else in the folder.</summary>
    private static long? RecordNumber(string name)
    {
        var prefix = $"ledger/{Records}/";
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(".json", StringComparison.Ordinal))
            return null;
        var dash = name.IndexOf('-', prefix.Length);
        return dash > prefix.Length && long.TryParse(name.AsSpan(prefix.Length, dash - prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;
    }

    private static Release? Parse(byte[] content)
    {
        try
        {
            return JsonSerializer.Deserialize<Release>(content, Json) is { Version: not null, Images: not null } release ? release : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private IEnumerable<Release> ReadLegacy(byte[] content)
    {
        try
        {
            return JsonSerializer.Deserialize<List<Release>>(content, Json) ?? [];
        }
        catch (JsonException e)
        {
            if (reportedTorn.Add(LegacyFile))
                log($"the ledger's {LegacyFile} (kept by an earlier Slipway) is unreadable, its releases ignored: {e.Message}");
            return [];
        }
    }
}

/// <summary>What a rollback starts from and goes to.</summary>
/// <param name="Current">The ledger's record of what serves now, if it has one.</param>
/// <param name="From">The version serving now, if anything serves.</param>
/// <param name="Target">The release to go back to.</param>
/// <param name="AppImage">The target's app image, by digest.</param>
/// <param name="TargetSchema">The schema the target was built for, if the ledger recorded it.</param>
public sealed record RollbackChoice(Release? Current, string? From, Release Target, string AppImage, string? TargetSchema)
{
    /// <summary>
    /// The rollback's ledger record, in progress: the target's images on the live schema, and the target's own
    /// Previous, so that the next rollback goes on to what served before the target was first deployed.
    /// </summary>
    public Release Record(string colour, LockHolder who) =>
        new(Target.Version, ReleaseKind.Rollback, colour, who.Who + "@" + who.Host, DateTimeOffset.UtcNow, null, Target.Images,
            Current?.MigrationVersion, ReleaseOutcome.InProgress, Target.Previous, $"rollback from {From ?? "nothing"}")
        {
            PreviousStartedAt = Target.PreviousStartedAt,
        };
}

/// <summary>What serves an environment now, read where traffic goes: nginx's upstream (single host) or the app service (swarm).</summary>
/// <param name="AppImage">The image the serving container or service runs, when known.</param>
/// <param name="Where">Where it was read, for messages ("nginx → slipway-prod-api-green").</param>
public sealed record ServingRelease(string Version, string? AppImage, string Where)
{
    /// <summary>The release is this one: the same version and, when both are known, the same app image.</summary>
    public bool Runs(Release release, string appService) =>
        release.Version == Version
        && (AppImage is null || !release.Images.TryGetValue(appService, out var image) || ReleaseLedger.SameImage(image, AppImage));

    public string Describe() => AppImage is null ? Version : $"{Version} (@{ReleaseLedger.ShortDigest(AppImage)})";
}
