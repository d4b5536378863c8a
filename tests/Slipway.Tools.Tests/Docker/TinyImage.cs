using Slipway.Tools.Docker;

namespace Slipway.Tools.Tests.Docker;

/// <summary>
/// A few-megabyte image built FROM scratch out of the host's own sh, sleep and cat with the C library
/// they load, so the engine tests need no base image from any registry.
/// </summary>
internal static class TinyImage
{
    public const string Name = "slipway-test/tiny:1";

    private static readonly SemaphoreSlim Gate = new(1, 1);

    private static readonly string[] HostFiles =
    [
        "/bin/dash:bin/sh", "/bin/sleep:bin/sleep", "/bin/cat:bin/cat", "/bin/ls:bin/ls",
        "/lib/x86_64-linux-gnu/libc.so.6:lib/x86_64-linux-gnu/libc.so.6",
        "/lib/x86_64-linux-gnu/libselinux.so.1:lib/x86_64-linux-gnu/libselinux.so.1",
        "/lib/x86_64-linux-gnu/libpcre2-8.so.0:lib/x86_64-linux-gnu/libpcre2-8.so.0",
        "/lib64/ld-linux-x86-64.so.2:lib64/ld-linux-x86-64.so.2",
    ];

    /// <summary>A folder with the binaries under rootfs/ and a Dockerfile that copies them in.</summary>
    public static string CreateContext(string dockerfile = "FROM scratch\nCOPY rootfs/ /\n")
    {
        var dir = Directory.CreateTempSubdirectory("slipway-tiny-").FullName;
        foreach (var pair in HostFiles)
        {
            var (from, to) = (pair[..pair.IndexOf(':', StringComparison.Ordinal)], pair[(pair.IndexOf(':', StringComparison.Ordinal) + 1)..]);
            var target = Path.Combine(dir, "rootfs", to);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(new FileInfo(from).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? from, target);
        }

        File.WriteAllText(Path.Combine(dir, "Dockerfile"), dockerfile);
        return dir;
    }

    public static async Task EnsureAsync(DockerClient docker)
    {
        await Gate.WaitAsync();
        try
        {
            if (await docker.Images.TryInspectAsync(Name) is not null)
                return;
            var dir = CreateContext();
            try
            {
                await using var context = await BuildContext.CreateAsync(dir, "Dockerfile");
                await docker.Images.BuildAsync(context.Archive, new ImageBuildParameters { Tags = [Name] });
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        finally
        {
            Gate.Release();
        }
    }
}
