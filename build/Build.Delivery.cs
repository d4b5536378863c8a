using Slipway.Engine;
using Slipway.Tools.Git;

partial class Build
{
    GitRepository? git;

    GitRepository Git => git ??= GitRepository.ReadAsync(RootDirectory).GetAwaiter().GetResult();

    /// <summary>The version the service reports: semantic version plus commit, e.g. 0.1.0+3f2c1ab.</summary>
    string AppVersion => $"{Version}+{Git.ShortCommit}";

    static void NotImplemented(int issue) => throw new BuildFailedException($"not implemented yet (issue #{issue})");
}
