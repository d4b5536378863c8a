using System.Formats.Tar;
using Slipway.Delivery.Images;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// The proxy's configuration and pages, handed to the running nginx per release, so nginx is never restarted
/// while it serves. nginx runs with its prefix at <c>releases/current/</c>, a symlink in a volume. A release's
/// <c>/etc/nginx</c> is copied out of its proxy image into <c>releases/&lt;id&gt;/</c>, checked with <c>nginx -t</c>,
/// and <c>current</c> is renamed onto it (atomic) just before the graceful reload: the listening sockets stay
/// open, the old workers finish their requests and keep-alive connections, the new ones read the new release.
/// What the image runs on (its base image, nginx itself, and its Dockerfile: the health check script, the user) is the
/// proxy's runtime; a new runtime needs a new container, which only <c>--recreate-infrastructure</c> allows.
/// </summary>
public static class ProxyReleases
{
    /// <summary>The volume (per stack) holding the delivered releases.</summary>
    public const string Volume = "nginx-releases";

    public const string Root = "/etc/nginx/releases";

    private const string Current = Root + "/current";
    private const string ImageRoot = "/etc/nginx";
    private const int Kept = 3;

    /// <summary>Folders of <c>/etc/nginx</c> that are not the release's: mounted into the proxy, shared by every release.</summary>
    private static readonly string[] Mounted = ["certs", "upstreams", "releases"];

    /// <summary>A release's folder name: its proxy image's id, shortened.</summary>
    public static string Id(ImageInspect image) => image.Id.Replace("sha256:", "", StringComparison.Ordinal)[..12];

    /// <summary>What the proxy image runs on (its base images and Dockerfile) when the build recorded it, else the image itself.</summary>
    public static string Runtime(ImageInspect image) =>
        image.Labels.GetValueOrDefault(ImageBuilder.RuntimeLabel) is { Length: > 0 } runtime ? runtime : image.Id;

    /// <summary>The image's nginx command line with its prefix (-p) and configuration (-c) moved under releases/current.</summary>
    public static IReadOnlyList<string> Command(IReadOnlyList<string> imageCommand)
    {
        var prefix = Argument(imageCommand, "-p");
        var config = Argument(imageCommand, "-c");
        if (prefix?.TrimEnd('/') != ImageRoot || config is null || !config.StartsWith(ImageRoot + "/", StringComparison.Ordinal))
            throw new DeployFailedException($"the proxy runs '{string.Join(' ', imageCommand)}': a release is handed over only to nginx -p {ImageRoot}/ -c {ImageRoot}/<file>");
        return imageCommand.Select(argument => argument == prefix ? Current + "/" : argument == config ? Current + config[ImageRoot.Length..] : argument).ToArray();
    }

    /// <summary>The release nginx serves now, or null when the proxy has none delivered (or does not exist).</summary>
    public static async Task<string?> LiveAsync(DockerClient docker, string proxy, CancellationToken ct)
    {
        MemoryStream tar;
        try
        {
            tar = await docker.Containers.GetArchiveAsync(proxy, Current, ct).ConfigureAwait(false);
        }
        catch (DockerNotFoundException)
        {
            return null;
        }

        await using (tar.ConfigureAwait(false))
        {
            using var reader = new TarReader(tar);
            return await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { EntryType: TarEntryType.SymbolicLink } link ? link.LinkName : null;
        }
    }

    /// <summary>
    /// Copies the image's release into the proxy (running or only created); a proxy that is not running yet also gets
    /// it as current (nothing to hand over).
    /// </summary>
    public static async Task DeliverAsync(DockerClient docker, string proxy, ImageInspect image, bool asCurrent, CancellationToken ct)
    {
        var id = Id(image);
        var source = await docker.Containers.CreateAsync(new ContainerSpec { Image = image.Id, Entrypoint = ["/release-source-never-started"] }, ct).ConfigureAwait(false);
        try
        {
            await using var files = await docker.Containers.GetArchiveAsync(source, ImageRoot, ct).ConfigureAwait(false);
            await using var release = await RepackAsync(files, id, asCurrent, ct).ConfigureAwait(false);
            await docker.Containers.PutArchiveAsync(proxy, Root, release, ct).ConfigureAwait(false);
        }
        finally
        {
            await docker.Containers.RemoveAsync(source, force: true, ct: CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Hands the image's release to a running proxy: delivered, checked with <c>nginx -t</c>, made current. nginx reads
    /// it at the caller's next reload. Returns the release's id.
    /// </summary>
    public static async Task<string> HandOverAsync(DockerClient docker, string proxy, ImageInspect image, IReadOnlyList<string> command, CancellationToken ct)
    {
        var id = Id(image);
        await DeliverAsync(docker, proxy, image, asCurrent: false, ct).ConfigureAwait(false);
        await CheckAsync(docker, proxy, id, command, ct).ConfigureAwait(false);
        await MakeCurrentAsync(docker, proxy, id, ct).ConfigureAwait(false);
        return id;
    }

    /// <summary><c>nginx -t</c> on a delivered release, before anything serves it.</summary>
    private static async Task CheckAsync(DockerClient docker, string proxy, string id, IReadOnlyList<string> command, CancellationToken ct)
    {
        var config = Argument(command, "-c")!.Replace(Current, $"{Root}/{id}", StringComparison.Ordinal);
        var test = await docker.Containers.ExecAsync(proxy, ["nginx", "-p", $"{Root}/{id}/", "-c", config, "-t", "-q"], ct: ct).ConfigureAwait(false);
        if (!test.Succeeded)
            throw new DeployFailedException($"nginx rejected the proxy configuration of release {id}: {(test.StandardError + test.StandardOutput).Trim()}");
    }

    /// <summary>Points current at <paramref name="id"/> by an atomic rename (a request never finds it missing) and keeps the last releases.</summary>
    public static async Task MakeCurrentAsync(DockerClient docker, string proxy, string id, CancellationToken ct)
    {
        await RunAsync(docker, proxy, ["ln", "-sfn", id, Current + ".next"], ct).ConfigureAwait(false);
        await RunAsync(docker, proxy, ["mv", "-Tf", Current + ".next", Current], ct).ConfigureAwait(false);
        // Newest first; the current one and the ones before it stay for a rollback.
        var listing = await docker.Containers.ExecAsync(proxy, ["ls", "-t", Root], "0", ct).ConfigureAwait(false);
        var stale = listing.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(name => name != "current" && name != id).Skip(Kept - 1).Select(name => $"{Root}/{name}").ToArray();
        if (stale.Length > 0)
            await RunAsync(docker, proxy, ["rm", "-rf", .. stale], ct).ConfigureAwait(false);
    }

    private static async Task RunAsync(DockerClient docker, string proxy, IReadOnlyList<string> command, CancellationToken ct)
    {
        // As root of the container (no capabilities): the volume and the releases in it belong to root, nginx only reads them.
        var result = await docker.Containers.ExecAsync(proxy, command, "0", ct).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new DeployFailedException($"{string.Join(' ', command)} in {proxy} failed: {(result.StandardError + result.StandardOutput).Trim()}");
    }

    /// <summary>The image's /etc/nginx as releases/&lt;id&gt;/, with the mounted folders linked to their mounts.</summary>
    private static async Task<MemoryStream> RepackAsync(Stream files, string id, bool asCurrent, CancellationToken ct)
    {
        var release = new MemoryStream();
        await using (var writer = new TarWriter(release, TarEntryFormat.Gnu, leaveOpen: true))
        {
            await using var reader = new TarReader(files);
            while (await reader.GetNextEntryAsync(copyData: true, ct).ConfigureAwait(false) is { } entry)
            {
                // The archive's entries are "nginx/...": the folder's own name first.
                var slash = entry.Name.IndexOf('/', StringComparison.Ordinal);
                var path = slash < 0 ? "" : entry.Name[(slash + 1)..].TrimEnd('/');
                if (Mounted.Any(m => path == m || path.StartsWith(m + "/", StringComparison.Ordinal)))
                    continue;
                var copy = new GnuTarEntry(entry.EntryType, path.Length == 0 ? id + "/" : $"{id}/{path}{(entry.EntryType == TarEntryType.Directory ? "/" : "")}")
                {
                    Mode = entry.Mode,
                    ModificationTime = entry.ModificationTime,
                };
                if (entry.DataStream is { } data)
                    copy.DataStream = data;
                if (entry.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink)
                    copy.LinkName = entry.EntryType == TarEntryType.HardLink ? $"{id}/{entry.LinkName[(entry.LinkName.IndexOf('/', StringComparison.Ordinal) + 1)..]}" : entry.LinkName;
                await writer.WriteEntryAsync(copy, ct).ConfigureAwait(false);
            }

            foreach (var mounted in Mounted.Where(m => m != "releases"))
                await writer.WriteEntryAsync(new GnuTarEntry(TarEntryType.SymbolicLink, $"{id}/{mounted}") { LinkName = $"{ImageRoot}/{mounted}" }, ct).ConfigureAwait(false);
            if (asCurrent)
                await writer.WriteEntryAsync(new GnuTarEntry(TarEntryType.SymbolicLink, "current") { LinkName = id }, ct).ConfigureAwait(false);
        }

        release.Position = 0;
        return release;
    }

    /// <summary>The value after <paramref name="flag"/> on nginx's command line.</summary>
    internal static string? Argument(IReadOnlyList<string> command, string flag)
    {
        var index = command.ToList().IndexOf(flag);
        return index >= 0 && index + 1 < command.Count ? command[index + 1] : null;
    }
}
