using System.Formats.Tar;
using Docker.DotNet.Models;

namespace Slipway.Tools.Docker;

public sealed partial class ContainerOperations
{
    /// <summary>A tar of <paramref name="path"/> (file or folder) inside the container, running or not.</summary>
    public Task<MemoryStream> GetArchiveAsync(string id, string path, CancellationToken ct = default) =>
        engine.CallAsync($"docker cp {id}:{path}", async (docker, token) =>
        {
            var response = await docker.Containers.GetArchiveFromContainerAsync(id, new ContainerPathStatParameters { Path = path }, statOnly: false, token).ConfigureAwait(false);
            await using var stream = response.Stream ?? Stream.Null;
            var tar = new MemoryStream();
            await stream.CopyToAsync(tar, token).ConfigureAwait(false);
            tar.Position = 0;
            return tar;
        }, ct);

    /// <summary>Extracts a tar into the existing folder <paramref name="directory"/> inside the container.</summary>
    public Task PutArchiveAsync(string id, string directory, Stream tar, CancellationToken ct = default) =>
        engine.CallAsync($"docker cp to {id}:{directory}", (docker, token) =>
            docker.Containers.ExtractArchiveToContainerAsync(id, new CopyToContainerParameters { Path = directory }, tar, token), ct);

    /// <summary>The bytes of one file inside the container, or null when it does not exist.</summary>
    public async Task<byte[]?> ReadFileAsync(string id, string path, CancellationToken ct = default) =>
        (await ReadFilesAsync(id, path, ct).ConfigureAwait(false))?.FirstOrDefault()?.Content;

    /// <summary>
    /// The regular files of a folder inside the container (or the one file <paramref name="path"/> names), with their
    /// paths relative to the folder's parent as the engine archives them ("records/1.json"); null when it does not exist.
    /// </summary>
    public async Task<IReadOnlyList<ArchivedFile>?> ReadFilesAsync(string id, string path, CancellationToken ct = default)
    {
        MemoryStream tar;
        try
        {
            tar = await GetArchiveAsync(id, path, ct).ConfigureAwait(false);
        }
        catch (DockerNotFoundException e) when (!e.Message.Contains("No such container", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var files = new List<ArchivedFile>();
        await using (tar.ConfigureAwait(false))
        {
            using var reader = new TarReader(tar);
            while (await reader.GetNextEntryAsync(copyData: true, ct).ConfigureAwait(false) is { } entry)
            {
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.DataStream is { } data)
                {
                    var bytes = new MemoryStream();
                    await data.CopyToAsync(bytes, ct).ConfigureAwait(false);
                    files.Add(new ArchivedFile(entry.Name, bytes.ToArray()));
                }
            }
        }

        return files;
    }

    /// <summary>
    /// Writes (replaces) one file in the existing folder <paramref name="directory"/> inside the container; a
    /// <paramref name="fileName"/> with folders in it ("records/1.json") creates the ones missing.
    /// </summary>
    public async Task WriteFileAsync(string id, string directory, string fileName, byte[] contents, FileOwner? owner = null, CancellationToken ct = default)
    {
        var tar = new MemoryStream();
        await using (tar.ConfigureAwait(false))
        {
            await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, fileName)
                {
                    DataStream = new MemoryStream(contents),
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    ModificationTime = DateTimeOffset.UtcNow,
                    Uid = owner?.Uid ?? 0,
                    Gid = owner?.Gid ?? 0,
                };
                await writer.WriteEntryAsync(entry, ct).ConfigureAwait(false);
            }

            tar.Position = 0;
            await PutArchiveAsync(id, directory, tar, ct).ConfigureAwait(false);
        }
    }
}

/// <summary>A file read out of a container.</summary>
public sealed record ArchivedFile(string Name, byte[] Content);

/// <summary>Numeric owner of a file written into a container.</summary>
public sealed record FileOwner(int Uid, int Gid);
