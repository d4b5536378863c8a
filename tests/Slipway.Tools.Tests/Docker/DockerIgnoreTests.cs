using Slipway.Tools.Docker;

namespace Slipway.Tools.Tests.Docker;

public sealed class DockerIgnoreTests
{
    [Theory]
    [InlineData("bin", "bin", true)]
    [InlineData("bin", "bin/Debug/app.dll", true)]
    [InlineData("bin", "src/bin/app.dll", false)]
    [InlineData("/bin", "bin/x", true)]
    [InlineData("**/bin", "src/Api/bin/Release/Api.dll", true)]
    [InlineData("**/bin", "bin/x", true)]
    [InlineData("**/obj/", "src/Api/obj/project.assets.json", true)]
    [InlineData("*.md", "README.md", true)]
    [InlineData("*.md", "docs/README.md", false)]
    [InlineData("**/*.md", "docs/deep/README.md", true)]
    [InlineData("src/*/bin", "src/Api/bin/x", true)]
    [InlineData("src/*/bin", "src/a/b/bin/x", false)]
    [InlineData("src/**/test", "src/test", true)]
    [InlineData("src/**/test", "src/a/b/test/x", true)]
    [InlineData("file?.txt", "file1.txt", true)]
    [InlineData("file?.txt", "file10.txt", false)]
    [InlineData("file[0-9].txt", "file5.txt", true)]
    [InlineData("file[!0-9].txt", "file5.txt", false)]
    [InlineData("file[!0-9].txt", "filex.txt", true)]
    [InlineData("./artifacts/../.git", ".git/HEAD", true)]
    [InlineData(@"weird\*name", "weird*name", true)]
    [InlineData(@"weird\*name", "weirdXname", false)]
    [InlineData("*", "anything/at/all", true)]
    public void Single_pattern(string pattern, string path, bool excluded) =>
        Assert.Equal(excluded, DockerIgnore.Parse(pattern).IsExcluded(path));

    [Fact]
    public void Exceptions_reinclude_and_the_last_matching_line_wins()
    {
        var ignore = DockerIgnore.Parse("""
            # everything markdown out, but the README back in, except the one under docs
            *.md
            !README.md
            docs/README.md

            **/secrets
            !**/secrets/public.txt
            """);

        Assert.True(ignore.IsExcluded("CHANGELOG.md"));
        Assert.False(ignore.IsExcluded("README.md"));
        Assert.True(ignore.IsExcluded("docs/README.md"));
        Assert.True(ignore.IsExcluded("config/secrets/key.pem"));
        Assert.False(ignore.IsExcluded("config/secrets/public.txt"));
        Assert.False(ignore.IsExcluded("src/Program.cs"));
        Assert.True(ignore.HasExceptions);
    }

    [Fact]
    public void Comments_blank_lines_and_surrounding_spaces_are_ignored()
    {
        var ignore = DockerIgnore.Parse("  # just a comment\n\n   build.log   \r\n");

        Assert.True(ignore.IsExcluded("build.log"));
        Assert.False(ignore.IsExcluded("# just a comment"));
        Assert.False(ignore.HasExceptions);
    }

    [Fact]
    public void Per_dockerfile_ignore_file_wins_over_the_context_root_one()
    {
        var root = Directory.CreateTempSubdirectory("slipway-ignore-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "docker"));
            File.WriteAllText(Path.Combine(root, ".dockerignore"), "a.txt\n");
            File.WriteAllText(Path.Combine(root, "docker", "api.Dockerfile"), "FROM scratch\n");
            Assert.True(DockerIgnore.ForBuild(root, "docker/api.Dockerfile").IsExcluded("a.txt"));

            File.WriteAllText(Path.Combine(root, "docker", "api.Dockerfile.dockerignore"), "b.txt\n");
            var ignore = DockerIgnore.ForBuild(root, "docker/api.Dockerfile");

            Assert.False(ignore.IsExcluded("a.txt"));
            Assert.True(ignore.IsExcluded("b.txt"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void An_excluded_folder_is_walked_only_when_an_exception_names_a_path_inside_it()
    {
        var ignore = DockerIgnore.Parse("*\n!src/Api\n!global.json\n");

        Assert.True(ignore.MayReinclude("src"));
        Assert.True(ignore.MayReinclude("src/Api"));
        Assert.False(ignore.MayReinclude(".nuke"));
        Assert.False(ignore.MayReinclude("src/Engine"));
        Assert.False(DockerIgnore.Parse("bin\n").MayReinclude("bin"));
    }
}
