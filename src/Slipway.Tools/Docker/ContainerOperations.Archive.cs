using System.Formats.Tar;
using System.Net.Http.Headers;

namespace Slipway.Tools.Docker;

public sealed partial class ContainerOperations
{
    /// <summary>A tar of <paramref name="path"/> (file or folder) inside the container, running or not.</summary>
    public async Task<MemoryStream> GetArchiveAsync(string id, string path, CancellationToken ct = default)
    {
        using var response = await transport.SendAsync(HttpMethod.Get, $"containers/{id}/archive", new Query().Add("path", path), ct: ct).ConfigureAwait(false);
        var tar = new MemoryStream();
        await response.Content.CopyToAsync(tar, ct).ConfigureAwait(false);
        tar.Position = 0;
        return tar;
    }

    /// <summary>Extracts a tar into the existing folder <paramref name="directory"/> inside the container.</summary>
    public async Task PutArchiveAsync(string id, string directory, Stream tar, CancellationToken ct = default)
    {
        using var content = new StreamContent(tar);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        using var response = await transport.SendAsync(HttpMethod.Put, $"containers/{id}/archive", new Query().Add("path", directory), content, ct: ct).ConfigureAwait(false);
    }

    /// <summary>The bytes of one file inside the container, or null when it does not exist.</summary>
    public async Task<byte[]?> ReadFileAsync(string id, string path, CancellationToken ct = default)
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

        await using (tar.ConfigureAwait(false))
        {
            using var reader = new TarReader(tar);
            while (await reader.GetNextEntryAsync(copyData: true, ct).ConfigureAwait(false) is { } entry)
            {
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.DataStream is { } data)
                {
                    var bytes = new MemoryStream();
                    await data.CopyToAsync(bytes, ct).ConfigureAwait(false);
                    return bytes.ToArray();
                }
            }
        }

        return null;
    }

    /// <summary>Writes (replaces) one file in the existing folder <paramref name="directory"/> inside the container.</summary>
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

/// <summary>Numeric owner of a file written into a container.</summary>
public sealed record FileOwner(int Uid, int Gid);
