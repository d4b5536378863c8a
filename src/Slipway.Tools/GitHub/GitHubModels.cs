namespace Slipway.Tools.GitHub;

/// <summary>One commit status (the latest for its context), as GitHub reports it: state is error, failure, pending or success.</summary>
public sealed record CommitStatusReport(string Context, string State, string? TargetUrl, string? Description);

/// <summary>One check run (the latest of its name): status is queued, in_progress or completed; conclusion is set once completed.</summary>
public sealed record CheckRunReport(string Name, string Status, string? Conclusion, string? HtmlUrl);

/// <summary>What GitHub knows of a commit's checks: commit statuses and check runs.</summary>
public sealed record CommitCheckReports(IReadOnlyList<CommitStatusReport> Statuses, IReadOnlyList<CheckRunReport> CheckRuns);

/// <summary>A deployment to create: ref is the commit sha; GitHub's own gate on required contexts is turned off.</summary>
public sealed record NewDeploymentRecord(string Commit, string Environment, string Description, bool ProductionEnvironment);

/// <summary>The states a deployment status can take (GitHub's queued, pending and error are not used here).</summary>
public enum DeploymentStatusState
{
    InProgress,
    Success,
    Failure,
    Inactive,
}

/// <summary>A deployment status to add.</summary>
public sealed record NewDeploymentStatusRecord(DeploymentStatusState State, string Description, Uri EnvironmentUrl);

/// <summary>A release to create from a commit.</summary>
public sealed record NewReleaseRecord(string Tag, string Commit, string Name, string Body);

/// <summary>A release GitHub created.</summary>
public sealed record CreatedRelease(long Id, string HtmlUrl);
