using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// The ledger kept on the environment's engine in a volume (<see cref="StackNames.LedgerVolume"/>), read and written
/// through the archive API of a never-started handle container: every record is one new file under records/, numbered
/// in order. releases.json, the whole list rewritten in place by earlier versions, is read as the records before the first.
/// </summary>
public sealed class DockerReleaseLedger : ReleaseLedger
{
    private const string Folder = "/ledger";
    private const string Records = "records";
    private const string LegacyFile = "releases.json";

    private readonly DockerClient docker;

    /// <summary>Null for a ledger opened read-only that does not exist yet.</summary>
    private readonly string? handle;

    private long? lastRecord;

    private DockerReleaseLedger(DockerClient docker, string? handle, Action<string> log)
        : base(log)
    {
        this.docker = docker;
        this.handle = handle;
    }

    /// <param name="log">Where a torn record is said (once per ledger opened).</param>
    public static new async Task<DockerReleaseLedger> OpenAsync(DockerClient docker, StackNames names, Action<string>? log = null, CancellationToken ct = default)
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

        return new DockerReleaseLedger(docker, names.LedgerContainer, log ?? (_ => { }));
    }

    /// <summary>The ledger for reading only (a dry run): creates nothing, and an environment never deployed has no releases.</summary>
    public static async Task<DockerReleaseLedger> OpenReadOnlyAsync(DockerClient docker, StackNames names, Action<string> log, CancellationToken ct = default) =>
        new(docker, await docker.Containers.TryInspectAsync(names.LedgerContainer, ct).ConfigureAwait(false) is null ? null : names.LedgerContainer, log);

    public override async Task<IReadOnlyList<Release>> ReadAsync(CancellationToken ct = default)
    {
        if (handle is null)
            return [];
        var files = await docker.Containers.ReadFilesAsync(handle, Folder, ct).ConfigureAwait(false) ?? [];
        var legacy = files.FirstOrDefault(f => f.Name == $"ledger/{LegacyFile}") is { } file ? ReadLegacy(file.Content) : [];

        var records = files
            .Select(f => (File: f, Number: RecordNumber(f.Name)))
            .Where(r => r.Number is not null)
            .OrderBy(r => r.Number)
            .ThenBy(r => r.File.Name, StringComparer.Ordinal)
            .ToList();
        lastRecord = records.Count == 0 ? 0 : records.Max(r => r.Number!.Value);
        return Fold(legacy, records.Select(r => (r.File.Name[(r.File.Name.IndexOf('/', StringComparison.Ordinal) + 1)..], r.File.Content)));
    }

    public override async Task RecordAsync(Release release, CancellationToken ct = default)
    {
        if (lastRecord is null)
            await ReadAsync(ct).ConfigureAwait(false);
        var number = (lastRecord ?? 0) + 1;
        lastRecord = number;
        // The random part keeps two writers apart should a lock broken with --force let them overlap.
        var name = $"{Records}/{number:D10}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}.json";
        await docker.Containers.WriteFileAsync(handle ?? throw new InvalidOperationException("the ledger was opened read-only"), Folder, name, JsonSerializer.SerializeToUtf8Bytes(release, Json), ct: ct).ConfigureAwait(false);
    }

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

    private List<Release> ReadLegacy(byte[] content)
    {
        try
        {
            return JsonSerializer.Deserialize<List<Release>>(content, Json) ?? [];
        }
        catch (JsonException e)
        {
            ReportOnce(LegacyFile, $"the ledger's {LegacyFile} (kept by an earlier Slipway) is unreadable, its releases ignored: {e.Message}");
            return [];
        }
    }
}
