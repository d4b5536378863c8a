namespace Slipway.Engine;

/// <summary>The state of one invocation: the graph, the plan, the parameters and the target running now.</summary>
internal sealed class BuildRun(TargetGraph graph, ExecutionPlan plan, IReadOnlyList<BuildParameter> parameters, SecretMasker masker, bool dryRun, GitHubActions? gitHub)
{
    public TargetGraph Graph { get; } = graph;

    public ExecutionPlan Plan { get; } = plan;

    public IReadOnlyList<BuildParameter> Parameters { get; } = parameters;

    public SecretMasker Masker { get; } = masker;

    /// <summary>--dry-run: nothing outside the build's folders may change.</summary>
    public bool DryRun { get; } = dryRun;

    public ExecutableTarget? Current { get; set; }

    /// <summary>GitHub Actions' groups, annotations and step summary; null off GitHub.</summary>
    public GitHubActions? GitHub { get; } = gitHub;
}
