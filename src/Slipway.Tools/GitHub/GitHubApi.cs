using System.Collections.ObjectModel;
using Octokit;
using Octokit.Internal;

namespace Slipway.Tools.GitHub;

/// <summary>
/// The few GitHub REST calls the pipeline makes, for one repository, through Octokit: a commit's statuses and
/// check runs, deployments and their statuses, releases. Failures come out as <see cref="GitHubUnreachableException"/>
/// or <see cref="GitHubRequestException"/>; what they mean for a deploy is decided by the caller.
/// </summary>
public sealed class GitHubApi
{
    /// <summary>GitHub answers in well under a second; a deploy should not wait long on one that does not answer.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly GitHubClient client;

    /// <param name="apiUrl">GITHUB_API_URL: https://api.github.com, or a GitHub Enterprise Server's https://host/api/v3.</param>
    public GitHubApi(Uri apiUrl, string token, GitHubRepositoryName repository, TimeSpan timeout)
    {
        ApiUrl = apiUrl;
        Repository = repository;
        // Through Connection rather than GitHubClient(…, baseAddress), which appends /api/v3/ to any host but github.com:
        // GITHUB_API_URL already names the API root.
        var root = apiUrl.AbsoluteUri.EndsWith('/') ? apiUrl : new Uri(apiUrl.AbsoluteUri + "/");
        client = new GitHubClient(new Connection(new ProductHeaderValue("Slipway"), root, new InMemoryCredentialStore(new Credentials(token))));
        client.SetRequestTimeout(timeout);
    }

    public Uri ApiUrl { get; }

    public GitHubRepositoryName Repository { get; }

    /// <summary>GET /repos/{owner}/{repo}/commits/{ref}/status and GET /repos/{owner}/{repo}/commits/{ref}/check-runs.</summary>
    public async Task<CommitCheckReports> GetCommitChecksAsync(string commit, CancellationToken ct) =>
        await CallAsync(async () =>
        {
            var combined = await client.Repository.Status.GetCombined(Repository.Owner, Repository.Name, commit).ConfigureAwait(false);
            var runs = await client.Check.Run.GetAllForReference(Repository.Owner, Repository.Name, commit).ConfigureAwait(false);
            return new CommitCheckReports(
                combined.Statuses.Select(s => new CommitStatusReport(s.Context, s.State.StringValue, s.TargetUrl, s.Description)).ToList(),
                runs.CheckRuns.Select(r => new CheckRunReport(r.Name, r.Status.StringValue, r.Conclusion?.StringValue, r.HtmlUrl)).ToList());
        }, ct).ConfigureAwait(false);

    /// <summary>POST /repos/{owner}/{repo}/deployments; returns the deployment's id.</summary>
    public async Task<long> CreateDeploymentAsync(NewDeploymentRecord deployment, CancellationToken ct) =>
        await CallAsync(async () =>
        {
            var created = await client.Repository.Deployment.Create(Repository.Owner, Repository.Name, new NewDeployment(deployment.Commit)
            {
                Environment = deployment.Environment,
                Description = deployment.Description,
                AutoMerge = false,
                RequiredContexts = new Collection<string>(),
                ProductionEnvironment = deployment.ProductionEnvironment,
                TransientEnvironment = false,
            }).ConfigureAwait(false);
            return created.Id;
        }, ct).ConfigureAwait(false);

    /// <summary>POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses.</summary>
    public async Task CreateDeploymentStatusAsync(long deploymentId, NewDeploymentStatusRecord status, CancellationToken ct) =>
        await CallAsync(() => client.Repository.Deployment.Status.Create(Repository.Owner, Repository.Name, deploymentId, new NewDeploymentStatus(StateOf(status.State))
        {
            Description = status.Description,
            EnvironmentUrl = status.EnvironmentUrl.AbsoluteUri,
        }), ct).ConfigureAwait(false);

    /// <summary>POST /repos/{owner}/{repo}/releases.</summary>
    public async Task<CreatedRelease> CreateReleaseAsync(NewReleaseRecord release, CancellationToken ct) =>
        await CallAsync(async () =>
        {
            var created = await client.Repository.Release.Create(Repository.Owner, Repository.Name, new NewRelease(release.Tag)
            {
                TargetCommitish = release.Commit,
                Name = release.Name,
                Body = release.Body,
            }).ConfigureAwait(false);
            return new CreatedRelease(created.Id, created.HtmlUrl);
        }, ct).ConfigureAwait(false);

    private static DeploymentState StateOf(DeploymentStatusState state) => state switch
    {
        DeploymentStatusState.InProgress => DeploymentState.InProgress,
        DeploymentStatusState.Success => DeploymentState.Success,
        DeploymentStatusState.Failure => DeploymentState.Failure,
        DeploymentStatusState.Inactive => DeploymentState.Inactive,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "not a deployment state"),
    };

    private async Task<T> CallAsync<T>(Func<Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call().WaitAsync(ct).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            throw new GitHubRequestException(e.StatusCode, $"{(int)e.StatusCode} {e.ApiError?.Message ?? e.Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new GitHubUnreachableException($"GitHub unreachable at {ApiUrl}: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new GitHubUnreachableException($"GitHub did not answer at {ApiUrl} in time", e);
        }
    }
}
