using Slipway.Delivery.Deployment;
using Slipway.Delivery.Environments;
using Slipway.Delivery.GitHub;
using Slipway.Engine;
using Slipway.Tools.Git;
using Slipway.Tools.GitHub;

/// <summary>
/// GitHub around a staging or prod deploy: the commit's checks must have passed before anything is built, and the
/// deploy is recorded as a GitHub Deployment (and a release, when asked). Token: GITHUB_TOKEN or GH_TOKEN.
/// </summary>
partial class Build
{
    [Parameter("Deploy even when the commit's checks on GitHub failed, are still running, or never ran; Unlock: break a live deploy lock")]
    readonly bool Force;

    [Parameter("After a successful staging or prod deploy, create the GitHub release v<version> listing the deployed image digests", Name = "github-release")]
    readonly bool GitHubRelease;

    GitHubAccess? gitHubAccess;

    /// <summary>This run's staging or prod deploy as recorded on GitHub; Rollback adds its outcome.</summary>
    DeploymentRecorder? gitHubDeployment;

    bool IsStagingOrProd => !TargetEnvironment.IsOnThisMachine();

    Target VerifyCommitChecks => _ => _
        .Description("Refuses a staging or prod deploy of a commit whose checks on GitHub did not pass (--force deploys anyway)")
        .DependentFor(Deploy)
        .Before(Restore, Migrate)
        .OnlyWhenStatic(() => IsStagingOrProd)
        .Executes(async ct =>
            ReportSummary(await CommitCheckGate.VerifyAsync(await GitHubAsync(ct), new CommitCheckRequest(Git.Commit, Git.IsDirty, Force), Log.Info, Log.Warn, ct)));

    /// <summary>Deploy's hook: a staging or prod deploy becomes a GitHub Deployment with its statuses; GitHub never fails the deploy.</summary>
    async Task<DeployResult> RecordedOnGitHubAsync(DeployEnvironment environment, Func<Task<DeployResult>> deploy, CancellationToken ct)
    {
        if (environment.Name.IsOnThisMachine())
        {
            if (GitHubRelease)
                Log.Warn("--github-release: releases are created for staging and prod deploys only");
            return await deploy();
        }

        var deployment = new DeploymentToRecord(environment.Name, Git.Commit, AppVersion, environment.PublicUrl);
        gitHubDeployment = new DeploymentRecorder(await GitHubAsync(ct), Log.Info, Log.Warn);
        await gitHubDeployment.StartAsync(deployment, ct);
        DeployResult result;
        try
        {
            result = await deploy();
        }
        catch (Exception e)
        {
            // Not the deploy's token: a cancelled deploy is still recorded as failed.
            await gitHubDeployment.FailedAsync(rolledBack: e is DeployFailedException { RolledBack: true }, CancellationToken.None);
            throw;
        }

        await gitHubDeployment.SucceededAsync(ct);
        if (GitHubRelease)
            await gitHubDeployment.CreateReleaseAsync(Version, deployment, PublishedImages, ct);
        return result;
    }

    /// <summary>Rollback's hook: when this run recorded a deployment, it ends as rolled back.</summary>
    async Task RecordRollbackOnGitHubAsync(string toVersion, CancellationToken ct)
    {
        if (gitHubDeployment is not null)
            await gitHubDeployment.RolledBackAsync(toVersion, ct);
    }

    async Task<GitHubAccess> GitHubAsync(CancellationToken ct)
    {
        if (gitHubAccess is not null)
            return gitHubAccess;
        MaskSecret(Environment.GetEnvironmentVariable("GITHUB_TOKEN"));
        MaskSecret(Environment.GetEnvironmentVariable("GH_TOKEN"));
        var origin = await GitRemote.UrlAsync(RootDirectory, ct: ct);
        return gitHubAccess = GitHubAccess.Resolve(Environment.GetEnvironmentVariable, origin, GitHubApi.DefaultTimeout);
    }
}
