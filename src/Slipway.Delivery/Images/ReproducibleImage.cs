using System.Formats.Tar;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Images;

/// <summary>
/// Makes an image built by the engine's legacy builder depend only on its inputs, as BuildKit's
/// SOURCE_DATE_EPOCH with rewrite-timestamp does. The legacy builder (Debian's dockerd has no BuildKit)
/// stamps the build time into the image config (created, each step's history, the build container and the
/// parent intermediate image) and into every directory a COPY step creates or changes. The image is saved,
/// its config times set to the epoch and those build-only fields dropped, every file time after the epoch
/// in the layers this build made (never the base image's) clamped to it, and the result loaded under the
/// same name: one commit and one set of inputs give one image id and one registry digest.
/// </summary>
public static partial class ReproducibleImage
{
    /// <summary>Rewrites <paramref name="built"/> and loads it as <paramref name="reference"/>; returns the new image id.</summary>
    /// <param name="baseCreated">The newest creation time of the base images: history after it is this build's.</param>
    /// <param name="labels">Added to the rewritten config (so only rewritten images carry them).</param>
    public static async Task<string> NormaliseAsync(
        DockerClient docker, string built, string reference, DateTimeOffset epoch, DateTimeOffset baseCreated,
        IReadOnlyDictionary<string, string> labels, CancellationToken ct)
    {
        await using var saved = TempFile();
        await docker.Images.SaveAsync([built], saved, ct).ConfigureAwait(false);
        saved.Position = 0;
        await using var rewritten = TempFile();
        var id = await RewriteAsync(saved, rewritten, reference, epoch, baseCreated, labels, ct).ConfigureAwait(false);
        rewritten.Position = 0;
        await docker.Images.LoadAsync(rewritten, ct).ConfigureAwait(false);
        return id;
    }

    /// <summary>Rewrites a one-image `docker save` archive (seekable) into a loadable one; returns the rewritten image id.</summary>
    public static async Task<string> RewriteAsync(
        Stream saved, Stream destination, string reference, DateTimeOffset epoch, DateTimeOffset baseCreated,
        IReadOnlyDictionary<string, string> labels, CancellationToken ct)
    {
        var (configName, layerPaths, documents) = await ReadManifestAsync(saved, ct).ConfigureAwait(false);
        var config = JsonNode.Parse(documents[configName])!.AsObject();
        var ownLayers = OwnLayers(config, baseCreated, layerPaths.Count, reference);
        var diffIds = config["rootfs"]!["diff_ids"]!.AsArray();

        saved.Position = 0;
        var layerFiles = new string[layerPaths.Count];
        await using (var writer = new TarWriter(destination, TarEntryFormat.Gnu, leaveOpen: true))
        {
            await using (var reader = new TarReader(saved, leaveOpen: true))
            {
                while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
                {
                    var index = layerPaths.IndexOf(entry.Name);
                    if (index < 0 || entry.DataStream is null)
                        continue;
                    string diffId;
                    if (ownLayers.Contains(index))
                    {
                        await using var clamped = TempFile();
                        await ClampTimesAsync(entry.DataStream, clamped, epoch, ct).ConfigureAwait(false);
                        clamped.Position = 0;
                        diffId = Digest(await SHA256.HashDataAsync(clamped, ct).ConfigureAwait(false));
                        clamped.Position = 0;
                        await WriteAsync(writer, LayerFile(diffId), clamped, ct).ConfigureAwait(false);
                    }
                    else
                    {
                        diffId = diffIds[index]!.GetValue<string>();
                        await WriteAsync(writer, LayerFile(diffId), entry.DataStream, ct).ConfigureAwait(false);
                    }

                    diffIds[index] = diffId;
                    layerFiles[index] = LayerFile(diffId);
                }
            }

            Stamp(config, epoch, baseCreated, labels);
            var configBytes = Encoding.UTF8.GetBytes(config.ToJsonString());
            var id = Digest(SHA256.HashData(configBytes));
            var configFile = id["sha256:".Length..] + ".json";
            await WriteAsync(writer, configFile, new MemoryStream(configBytes), ct).ConfigureAwait(false);
            var manifest = new JsonArray(new JsonObject
            {
                ["Config"] = configFile,
                ["RepoTags"] = new JsonArray(reference),
                ["Layers"] = new JsonArray([.. layerFiles.Select(f => JsonValue.Create(f))]),
            });
            await WriteAsync(writer, "manifest.json", new MemoryStream(Encoding.UTF8.GetBytes(manifest.ToJsonString())), ct).ConfigureAwait(false);
            return id;
        }
    }

    /// <summary>Time stamp written into configs: whole seconds, UTC, as BuildKit writes SOURCE_DATE_EPOCH.</summary>
    public static string Format(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>An engine time (RFC 3339, nanoseconds) as a DateTimeOffset (100 ns ticks).</summary>
    public static DateTimeOffset ParseEngineTime(string text) =>
        DateTimeOffset.Parse(BeyondTicks().Replace(text, "$1"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static async Task<(string Config, List<string> Layers, Dictionary<string, string> Documents)> ReadManifestAsync(Stream saved, CancellationToken ct)
    {
        var documents = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var reader = new TarReader(saved, leaveOpen: true))
        {
            while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
            {
                if (entry.DataStream is not null && !entry.Name.Contains('/', StringComparison.Ordinal) && entry.Name.EndsWith(".json", StringComparison.Ordinal))
                {
                    using var text = new StreamReader(entry.DataStream, Encoding.UTF8, leaveOpen: true);
                    documents[entry.Name] = await text.ReadToEndAsync(ct).ConfigureAwait(false);
                }
            }
        }

        var image = JsonNode.Parse(documents["manifest.json"])!.AsArray().Single()!;
        return (image["Config"]!.GetValue<string>(), [.. image["Layers"]!.AsArray().Select(l => l!.GetValue<string>())], documents);
    }

    /// <summary>The indexes of the layers this build made: those of the history entries created after every base image.</summary>
    private static HashSet<int> OwnLayers(JsonObject config, DateTimeOffset baseCreated, int layerCount, string reference)
    {
        var own = new HashSet<int>();
        var layer = 0;
        foreach (var step in config["history"]?.AsArray() ?? [])
        {
            if (step!["empty_layer"]?.GetValue<bool>() == true)
                continue;
            if (IsOwn(step, baseCreated))
                own.Add(layer);
            layer++;
        }

        return layer == layerCount
            ? own
            : throw new InvalidDataException($"{reference}: its history names {layer} layers but it has {layerCount}; cannot tell the base image's layers from the build's");
    }

    private static bool IsOwn(JsonNode step, DateTimeOffset baseCreated) =>
        step["created"]?.GetValue<string>() is { } created && ParseEngineTime(created) > baseCreated;

    private static void Stamp(JsonObject config, DateTimeOffset epoch, DateTimeOffset baseCreated, IReadOnlyDictionary<string, string> labels)
    {
        var time = Format(epoch);
        config["created"] = time;
        // The build container's id and settings, and the intermediate image it started from: new on every build.
        config.Remove("container");
        config.Remove("container_config");
        var runtime = config["config"]!.AsObject();
        runtime["Image"] = "";
        if (runtime["Labels"] is not JsonObject merged)
            runtime["Labels"] = merged = [];
        foreach (var (name, value) in labels)
            merged[name] = value;

        foreach (var step in config["history"]?.AsArray() ?? [])
        {
            if (IsOwn(step!, baseCreated))
                step!["created"] = time;
        }
    }

    private static async Task ClampTimesAsync(Stream layer, Stream destination, DateTimeOffset epoch, CancellationToken ct)
    {
        await using var reader = new TarReader(layer, leaveOpen: true);
        // Written as GNU entries: .NET names a PAX extended header after the writing process (PaxHeaders.<pid>), which
        // would give the layer, and so the image, another digest in every build.
        await using var writer = new TarWriter(destination, TarEntryFormat.Gnu, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } read)
        {
            var entry = read as GnuTarEntry ?? new GnuTarEntry(read);
            if (entry.ModificationTime > epoch)
                entry.ModificationTime = epoch;
            await writer.WriteEntryAsync(entry, ct).ConfigureAwait(false);
        }
    }

    private static async Task WriteAsync(TarWriter writer, string name, Stream data, CancellationToken ct)
    {
        var entry = new GnuTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = data,
            ModificationTime = DateTimeOffset.UnixEpoch,
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        };
        await writer.WriteEntryAsync(entry, ct).ConfigureAwait(false);
    }

    private static string LayerFile(string diffId) => diffId["sha256:".Length..] + "/layer.tar";

    private static string Digest(byte[] hash) => "sha256:" + Convert.ToHexStringLower(hash);

    private static FileStream TempFile() =>
        new(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);

    [GeneratedRegex(@"(\.\d{7})\d+")]
    private static partial Regex BeyondTicks();
}
