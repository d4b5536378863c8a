using System.Globalization;
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
/// An environment's release history, wherever its <see cref="IReleaseStore"/> keeps it. Append-only: every change of a
/// release is one new record, and no record is ever rewritten, so a write killed at any moment loses at most the record
/// it was writing; a torn record is ignored, said in one line. Reading folds the records: a release (its start and
/// version) stands as its newest record says. Writers hold the deploy lock. What follows from the history (what
/// serves, what a rollback goes back to, the printed table) is the same whichever store keeps it.
/// </summary>
public abstract class ReleaseLedger
{
    public const int Kept = 100;

    /// <summary>The note on a release whose deploy died before recording how it ended.</summary>
    public const string InterruptedNote = "interrupted: the deploy that started it stopped before finishing";

    /// <summary>How a record is written, in every store.</summary>
    protected static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private readonly HashSet<string> reported = new(StringComparer.Ordinal);

    protected ReleaseLedger(Action<string> log) => Log = log;

    /// <summary>Where a torn record is said (once per ledger opened).</summary>
    protected Action<string> Log { get; }

    /// <summary>The ledger kept on the environment's engine (<see cref="DockerReleaseLedger"/>), made when missing.</summary>
    /// <param name="log">Where a torn record is said (once per ledger opened).</param>
    public static async Task<ReleaseLedger> OpenAsync(DockerClient docker, StackNames names, Action<string>? log = null, CancellationToken ct = default) =>
        await DockerReleaseLedger.OpenAsync(docker, names, log, ct).ConfigureAwait(false);

    /// <summary>The ledger kept on the environment's engine, for reading only: creates nothing.</summary>
    public static async Task<ReleaseLedger> OpenReadOnlyAsync(DockerClient docker, StackNames names, CancellationToken ct = default) =>
        await DockerReleaseLedger.OpenReadOnlyAsync(docker, names, _ => { }, ct).ConfigureAwait(false);

    /// <summary>Oldest first, the newest <see cref="Kept"/>.</summary>
    public abstract Task<IReadOnlyList<Release>> ReadAsync(CancellationToken ct = default);

    /// <summary>Appends how a release stands now; the newest record of a release (same start, same version) is the one read.</summary>
    public abstract Task RecordAsync(Release release, CancellationToken ct = default);

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

    /// <summary>Marks what a dead deploy left in progress (<see cref="MarkInterruptedAsync"/>), each said in one log line.</summary>
    protected internal async Task<ReleaseLedger> MarkInterruptedSayingAsync(CancellationToken ct)
    {
        foreach (var release in await MarkInterruptedAsync(ct).ConfigureAwait(false))
            Log($"the {release.Kind.ToString().ToLowerInvariant()} of {release.Version} by {release.Who} since {release.StartedAt.ToLocalTime():HH:mm:ss} never finished: recorded as failed (interrupted)");
        return this;
    }

    /// <summary>
    /// The releases the records make, oldest first, the newest <see cref="Kept"/>: each record, read in the order written,
    /// replaces the earlier record of its release; a record that does not parse is torn, said once by its name.
    /// </summary>
    protected IReadOnlyList<Release> Fold(IEnumerable<Release> earlier, IEnumerable<(string Name, byte[] Content)> records)
    {
        var releases = earlier.ToList();
        foreach (var (name, content) in records)
        {
            if (Parse(content) is not { } release)
            {
                if (reported.Add(name))
                    Log($"ledger record {name} is torn (its write was interrupted): ignored");
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

    /// <summary>Says once that something the ledger holds is unreadable.</summary>
    protected void ReportOnce(string key, string line)
    {
        if (reported.Add(key))
            Log(line);
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
        var choice = ChooseRollback(await ReadAsync(ct).ConfigureAwait(false), serving, request.ToVersion, request.Environment.Names.Environment, appService, Log);
        RollbackSchemaCheck.Check(choice, request.Migrations, request.AllowNewerSchema, Log);
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
