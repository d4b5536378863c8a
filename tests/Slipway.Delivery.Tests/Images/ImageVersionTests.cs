using Slipway.Delivery.Images;
using Slipway.Tools.Processes;

namespace Slipway.Delivery.Tests.Images;

public sealed class ImageVersionTests
{
    [Fact]
    public void Tag_is_semver_dash_short_sha()
    {
        var version = new ImageVersion("1.4.0-rc.1", "3F2A9C1D0E5B6A7980112233445566778899AABB");

        Assert.Equal("1.4.0-rc.1-3f2a9c1", version.Tag);
        Assert.Equal("3f2a9c1", version.ShortSha);
    }

    [Theory]
    [InlineData("1.4", "abcdef0", "version '1.4' is not a semantic version (MAJOR.MINOR.PATCH[-prerelease])")]
    [InlineData("v1.4.0", "abcdef0", "version 'v1.4.0' is not a semantic version (MAJOR.MINOR.PATCH[-prerelease])")]
    [InlineData("1.4.0", "HEAD", "commit 'HEAD' is not a git sha")]
    public void Bad_versions_are_rejected_with_a_clear_line(string semver, string commit, string message) =>
        Assert.Equal(message, Assert.Throws<ImagePlanException>(() => new ImageVersion(semver, commit)).Message);

    [ToolFact("git")]
    public async Task Reads_the_commit_from_git()
    {
        var repo = Directory.CreateTempSubdirectory("slipway-git-").FullName;
        try
        {
            Assert.Contains("needs a git repository with at least one commit",
                (await Assert.ThrowsAsync<ImagePlanException>(() => ImageVersion.FromGitAsync(repo, "1.0.0"))).Message, StringComparison.Ordinal);

            await Git(repo, "init", "-q");
            await File.WriteAllTextAsync(Path.Combine(repo, "a.txt"), "a");
            await Git(repo, "add", "a.txt");
            await Git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "first");
            var head = (await Git(repo, "rev-parse", "HEAD")).Output.Trim();

            var version = await ImageVersion.FromGitAsync(repo, "2.3.4");

            Assert.Equal(head, version.Commit);
            Assert.Equal($"2.3.4-{head[..7]}", version.Tag);
        }
        finally
        {
            Directory.Delete(repo, recursive: true);
        }
    }

    private static Task<ProcessResult> Git(string repo, params string[] args) =>
        ProcessRunner.RunAsync("git", args, new ProcessOptions { WorkingDirectory = repo });
}
