using System.Formats.Tar;
using Slipway.Tools.Docker;

namespace Slipway.Tools.Tests.Docker;

public sealed class BuildContextTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("slipway-context-").FullName;

    [Fact]
    public async Task Archive_holds_exactly_the_files_dockerignore_keeps_with_their_content()
    {
        Write("Dockerfile", "FROM scratch\n");
        Write(".dockerignore", "**/bin\n**/obj\n*.log\n!keep.log\nsecrets/\n");
        Write("src/App/Program.cs", "class P {}");
        Write("src/App/bin/Debug/App.dll", "binary");
        Write("src/App/obj/project.assets.json", "{}");
        Write("build.log", "noise");
        Write("keep.log", "kept");
        Write("secrets/key.pem", "private");

        await using var context = await BuildContext.CreateAsync(root, "Dockerfile");

        var entries = await ReadAsync(context.Archive);
        Assert.Equal([".dockerignore", "Dockerfile", "keep.log", "src/App/Program.cs"], entries.Keys);
        Assert.Equal("class P {}", entries["src/App/Program.cs"]);
        Assert.Equal(entries.Keys, context.Files);
        Assert.Equal("Dockerfile", context.Dockerfile);
    }

    [Fact]
    public async Task The_same_files_make_the_same_archive_in_any_process_at_any_moment()
    {
        Write("Dockerfile", "FROM scratch\nCOPY . /\n");
        Write($"src/{new string('n', 120)}/Program.cs", "class P {}");

        await using var first = await BuildContext.CreateAsync(root, "Dockerfile");
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        await using var second = await BuildContext.CreateAsync(root, "Dockerfile");

        var bytes = new MemoryStream();
        await first.Archive.CopyToAsync(bytes);
        first.Archive.Position = 0;
        Assert.Equal(Convert.ToHexString(await System.Security.Cryptography.SHA256.HashDataAsync(first.Archive)),
            Convert.ToHexString(await System.Security.Cryptography.SHA256.HashDataAsync(second.Archive)));
        // Nothing of the writing process either (a PAX header is named PaxHeaders.<pid>): another build is another process.
        Assert.DoesNotContain($".{Environment.ProcessId}/", System.Text.Encoding.ASCII.GetString(bytes.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_allow_list_ignore_file_keeps_only_the_named_folders()
    {
        Write("docker/api.Dockerfile", "FROM scratch\n");
        Write("docker/api.Dockerfile.dockerignore", "*\n!src/Api\n!docker/api.Dockerfile\n**/obj\n");
        Write("src/Api/Program.cs", "x");
        Write("src/Api/obj/cache", "x");
        Write("src/Other/Other.cs", "x");
        Write("tests/T.cs", "x");

        await using var context = await BuildContext.CreateAsync(root, "docker/api.Dockerfile");

        Assert.Equal(["docker/api.Dockerfile", "src/Api/Program.cs"], context.Files);
    }

    [Fact]
    public async Task The_dockerfile_and_dockerignore_are_sent_even_when_ignored()
    {
        Write("docker/api.Dockerfile", "FROM scratch\n");
        Write(".dockerignore", "docker\n.dockerignore\n");
        Write("app.txt", "x");

        await using var context = await BuildContext.CreateAsync(root, "docker/api.Dockerfile");

        Assert.Equal([".dockerignore", "app.txt", "docker/api.Dockerfile"], context.Files);
        Assert.Equal("docker/api.Dockerfile", context.Dockerfile);
    }

    [Fact]
    public async Task A_dockerfile_outside_the_context_is_added_under_a_fixed_name()
    {
        Write("ctx/app.txt", "x");
        Write("elsewhere/Dockerfile", "FROM scratch\nCOPY app.txt /\n");

        await using var context = await BuildContext.CreateAsync(Path.Combine(root, "ctx"), Path.Combine(root, "elsewhere/Dockerfile"));

        var entries = await ReadAsync(context.Archive);
        Assert.Equal(BuildContext.OutsideDockerfileName, context.Dockerfile);
        Assert.Equal("FROM scratch\nCOPY app.txt /\n", entries[BuildContext.OutsideDockerfileName]);
        Assert.Contains("app.txt", entries.Keys);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Same_inputs_give_byte_identical_archives_and_modes_are_kept()
    {
        Write("Dockerfile", "FROM scratch\n");
        Write("run.sh", "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(root, "run.sh"), (UnixFileMode)Convert.ToInt32("755", 8));

        var first = await BytesAsync();
        File.SetLastWriteTimeUtc(Path.Combine(root, "run.sh"), DateTime.UtcNow.AddDays(-3));
        var second = await BytesAsync();

        Assert.Equal(first, second);
        using var reader = new TarReader(new MemoryStream(first));
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            if (entry.Name == "run.sh")
                Assert.Equal((UnixFileMode)Convert.ToInt32("755", 8), entry.Mode);
        }
    }

    [Fact]
    public async Task Missing_dockerfile_is_a_clear_error()
    {
        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => BuildContext.CreateAsync(root, "nope.Dockerfile"));

        Assert.Equal($"Dockerfile {Path.Combine(root, "nope.Dockerfile")} does not exist", error.Message);
    }

    private async Task<byte[]> BytesAsync()
    {
        await using var context = await BuildContext.CreateAsync(root, "Dockerfile");
        using var copy = new MemoryStream();
        await context.Archive.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static async Task<SortedDictionary<string, string>> ReadAsync(Stream archive)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var reader = new TarReader(archive, leaveOpen: true);
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            using var text = new StreamReader(entry.DataStream!);
            entries[entry.Name] = await text.ReadToEndAsync();
        }

        return entries;
    }

    private void Write(string relative, string content)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
