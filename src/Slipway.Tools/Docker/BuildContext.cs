using System.Formats.Tar;

namespace Slipway.Tools.Docker;

/// <summary>
/// A build context as a tar stream: the files of a folder that .dockerignore keeps, in a stable order
/// with fixed timestamps and owners, plus the Dockerfile (always sent, as the docker CLI does).
/// </summary>
public sealed class BuildContext : IAsyncDisposable
{
    /// <summary>The name a Dockerfile outside the context folder gets inside the archive.</summary>
    public const string OutsideDockerfileName = ".slipway.Dockerfile";

    private static readonly DateTimeOffset FixedTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private BuildContext(Stream archive, string dockerfile, IReadOnlyList<string> files)
    {
        Archive = archive;
        Dockerfile = dockerfile;
        Files = files;
    }

    /// <summary>The tar, positioned at its start.</summary>
    public Stream Archive { get; }

    /// <summary>The Dockerfile's path inside the archive, for <see cref="ImageBuildParameters.Dockerfile"/>.</summary>
    public string Dockerfile { get; }

    /// <summary>Every file and symlink in the archive, '/'-separated, sorted ordinally.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <param name="contextDirectory">The folder sent to the engine.</param>
    /// <param name="dockerfilePath">The Dockerfile, absolute or relative to <paramref name="contextDirectory"/>.</param>
    public static async Task<BuildContext> CreateAsync(string contextDirectory, string dockerfilePath, CancellationToken ct = default)
    {
        var root = Path.GetFullPath(contextDirectory);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"build context folder {root} does not exist");
        var dockerfile = Path.GetFullPath(dockerfilePath, root);
        if (!File.Exists(dockerfile))
            throw new FileNotFoundException($"Dockerfile {dockerfile} does not exist", dockerfile);

        var ignore = DockerIgnore.ForBuild(root, dockerfile);
        var inside = dockerfile.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        var dockerfileName = inside ? Relative(root, dockerfile) : OutsideDockerfileName;
        var files = ListFiles(root, ignore).ToList();
        foreach (var always in new[] { dockerfileName, ".dockerignore" })
        {
            if (inside || always != dockerfileName)
            {
                if (File.Exists(Path.Combine(root, always)) && !files.Contains(always))
                    files.Add(always);
            }
        }

        files.Sort(StringComparer.Ordinal);
        var archive = new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
        try
        {
            // GNU, not PAX: .NET names each PAX extended header after the writing process (PaxHeaders.<pid>), so the same
            // files would make another archive, and another inputs hash, in every build.
            await using (var writer = new TarWriter(archive, TarEntryFormat.Gnu, leaveOpen: true))
            {
                foreach (var file in files)
                    await WriteAsync(writer, Path.Combine(root, file), file, ct).ConfigureAwait(false);
                if (!inside)
                    await WriteAsync(writer, dockerfile, OutsideDockerfileName, ct).ConfigureAwait(false);
            }

            archive.Position = 0;
            return new BuildContext(archive, dockerfileName, inside ? files : [.. files, OutsideDockerfileName]);
        }
        catch
        {
            await archive.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The files of <paramref name="root"/> that <paramref name="ignore"/> keeps, relative and sorted.</summary>
    public static IEnumerable<string> ListFiles(string root, DockerIgnore ignore)
    {
        var pending = new Stack<string>([root]);
        var found = new List<string>();
        while (pending.Count > 0)
        {
            var directory = pending.Pop();
            foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
            {
                var relative = Relative(root, entry.FullName);
                var excluded = ignore.IsExcluded(relative);
                var isRealDirectory = entry is DirectoryInfo && entry.LinkTarget is null;
                if (isRealDirectory)
                {
                    // An excluded folder is only walked when a '!' line names something inside it.
                    if (!excluded || ignore.MayReinclude(relative))
                        pending.Push(entry.FullName);
                }
                else if (!excluded)
                {
                    found.Add(relative);
                }
            }
        }

        found.Sort(StringComparer.Ordinal);
        return found;
    }

    private static async Task WriteAsync(TarWriter writer, string fullPath, string name, CancellationToken ct)
    {
        var entry = Entry(fullPath, name);
        try
        {
            await writer.WriteEntryAsync(entry, ct).ConfigureAwait(false);
        }
        finally
        {
            if (entry.DataStream is { } data)
                await data.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static GnuTarEntry Entry(string fullPath, string name)
    {
        var info = new FileInfo(fullPath);
        GnuTarEntry entry;
        if (info.LinkTarget is { } target)
        {
            entry = new GnuTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target };
        }
        else
        {
            entry = new GnuTarEntry(TarEntryType.RegularFile, name)
            {
                DataStream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read),
            };
        }

        entry.Mode = info.UnixFileMode;
        entry.ModificationTime = FixedTime;
        entry.Uid = 0;
        entry.Gid = 0;
        return entry;
    }

    private static string Relative(string root, string path) =>
        Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');

    public async ValueTask DisposeAsync() => await Archive.DisposeAsync().ConfigureAwait(false);
}
