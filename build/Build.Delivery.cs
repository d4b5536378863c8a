using Slipway.Engine;
using Slipway.Tools.Git;

partial class Build
{
    GitRepository? git;

    GitRepository Git => git ??= GitRepository.ReadAsync(RootDirectory).GetAwaiter().GetResult();

    /// <summary>The version the service reports: semantic version plus commit, e.g. 0.1.0+3f2c1ab.</summary>
    string AppVersion => $"{Version}+{Git.ShortCommit}";

    Target BuildImages => _ => _
        .Description("Builds every container image, tagged <version>-<commit>; reuses images whose inputs are unchanged")
        .DependsOn(Compile)
        .Executes(() => NotImplemented(4));

    Target ScanImages => _ => _
        .Description("Scans the images with Trivy and fails on findings at or above the severity gate")
        .DependsOn(BuildImages)
        .Executes(() => NotImplemented(4));

    Target PushEcr => _ => _
        .Description("Pushes the images to the environment's registry (ECR, or a local registry) and verifies digests")
        .DependsOn(ScanImages)
        .Executes(() => NotImplemented(4));

    Target Migrate => _ => _
        .Description("Applies pending database migrations for the environment (or reverts to --migrate-to)")
        .Executes(() => NotImplemented(5));

    Target Deploy => _ => _
        .Description("Deploys the pushed images to the environment with zero downtime")
        .DependsOn(PushEcr, Migrate)
        .Triggers(SmokeTest)
        .Executes(() => NotImplemented(6));

    Target SmokeTest => _ => _
        .Description("Checks the deployed environment through its public URL")
        .After(Deploy)
        .Executes(() => NotImplemented(6));

    Target Rollback => _ => _
        .Description("Returns the environment to the previous release (automatic when SmokeTest fails)")
        .TriggeredBy(SmokeTest)
        .AssuredAfterFailure()
        .OnlyWhenDynamic(() => IsInvoked(Rollback) || HasFailed(SmokeTest))
        .Executes(() => NotImplemented(6));

    static void NotImplemented(int issue) => throw new BuildFailedException($"not implemented yet (issue #{issue})");
}
