using Slipway.Delivery.Environments;
using Slipway.Delivery.Publishing;
using Slipway.Tools.GitHub;

namespace Slipway.Delivery.GitHub;

/// <summary>A staging or prod deploy of one commit and version, served at the environment's public URL.</summary>
public sealed record DeploymentToRecord(EnvironmentName Environment, string Commit, string Version, Uri PublicUrl)
{
    /// <summary>The GitHub environment the deploy workflow's production stage uses for prod, so both show in one history.</summary>
    public string GitHubEnvironment => Environment == EnvironmentName.Prod ? "production" : Environment.Id();
}

/// <summary>
/// Records a staging or prod deploy on GitHub: a Deployment of the commit (GitHub's required-contexts gate off: the
/// checks were verified before the build), an in_progress status, then success or failure, each with the public URL.
/// A rolled-back deploy ends as "failure" saying so: GitHub's "inactive" means a deployment that was superseded or
/// torn down, which GitHub itself gives to earlier deployments; it would hide that this one failed. Nothing here
/// fails a deploy: problems with GitHub are reported in one line and the deploy goes on.
/// </summary>
public sealed class DeploymentRecorder(GitHubAccess github, Action<string> info, Action<string> warn)
{
    /// <summary>GitHub rejects longer deployment status descriptions.</summary>
    private const int MaxDescription = 140;

    private Recorded? recorded;

    public async Task StartAsync(DeploymentToRecord deployment, CancellationToken ct)
    {
        if (github.OnGitHubActions)
        {
            info("GitHub deployment: recorded by GitHub Actions for this job's environment");
            return;
        }

        if (github.Api is not { } api)
        {
            info($"GitHub deployment not recorded: {github.Unavailable}");
            return;
        }

        var id = await TryAsync<long?>("GitHub deployment not recorded", async () => await api.CreateDeploymentAsync(
            new NewDeploymentRecord(deployment.Commit, deployment.GitHubEnvironment, $"Slipway {deployment.Version}", deployment.Environment == EnvironmentName.Prod), ct).ConfigureAwait(false)).ConfigureAwait(false);
        if (id is null)
            return;
        recorded = new Recorded(api, id.Value, deployment);
        if (await AddStatusAsync(recorded, DeploymentStatusState.InProgress, $"deploying {deployment.Version}", ct).ConfigureAwait(false))
            info($"GitHub deployment {id} of {deployment.Version} to {deployment.GitHubEnvironment} ({api.Repository}): in progress");
    }

    public async Task SucceededAsync(CancellationToken ct)
    {
        if (recorded is { } record && await AddStatusAsync(record, DeploymentStatusState.Success, $"{record.Deployment.Version} deployed", ct).ConfigureAwait(false))
            info($"GitHub deployment {record.Id}: success, {record.Deployment.PublicUrl}");
    }

    /// <param name="rolledBack">The previous release serves again: the description says so.</param>
    public async Task FailedAsync(bool rolledBack, CancellationToken ct)
    {
        // Only what GitHub needs to show: the failure's own message may quote logs, which are not GitHub's to keep.
        if (recorded is { } record && await AddStatusAsync(record, DeploymentStatusState.Failure, rolledBack ? $"{record.Deployment.Version} failed and was rolled back" : $"{record.Deployment.Version} failed", ct).ConfigureAwait(false))
            info($"GitHub deployment {record.Id}: failure{(rolledBack ? " (rolled back)" : "")}");
    }

    /// <summary>After the deploy succeeded, its smoke checks failed and the environment went back to <paramref name="toVersion"/>.</summary>
    public async Task RolledBackAsync(string toVersion, CancellationToken ct)
    {
        if (recorded is { } record && await AddStatusAsync(record, DeploymentStatusState.Failure, $"{record.Deployment.Version} rolled back to {toVersion}", ct).ConfigureAwait(false))
            info($"GitHub deployment {record.Id}: failure (rolled back to {toVersion})");
    }

    /// <summary>A release tagged v&lt;version&gt; at the commit, its body listing the deployed images by digest.</summary>
    public async Task CreateReleaseAsync(string version, DeploymentToRecord deployment, PublishResult? images, CancellationToken ct)
    {
        if (github.Api is not { } api)
        {
            info($"GitHub release not created: {github.Unavailable}");
            return;
        }

        var tag = $"v{version}";
        var release = await TryAsync($"GitHub release {tag} not created", () => api.CreateReleaseAsync(
            new NewReleaseRecord(tag, deployment.Commit, tag, ReleaseNotes.Body(deployment, images)), ct)).ConfigureAwait(false);
        if (release is not null)
            info($"GitHub release {tag}: {release.HtmlUrl}");
    }

    private async Task<bool> AddStatusAsync(Recorded record, DeploymentStatusState state, string description, CancellationToken ct)
    {
        var text = description.Length <= MaxDescription ? description : description[..(MaxDescription - 1)] + "…";
        var status = new NewDeploymentStatusRecord(state, text, record.Deployment.PublicUrl);
        return await TryAsync($"GitHub deployment {record.Id} not updated", async () =>
        {
            await record.Api.CreateDeploymentStatusAsync(record.Id, status, ct).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
    }

    private async Task<T?> TryAsync<T>(string what, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (GitHubUnreachableException e)
        {
            info($"{what}: {e.Message}");
        }
        catch (GitHubRequestException e)
        {
            warn($"{what}: GitHub answered {e.Message}");
        }

        return default;
    }

    /// <summary>The deployment GitHub created for this deploy.</summary>
    private sealed record Recorded(GitHubApi Api, long Id, DeploymentToRecord Deployment);
}
