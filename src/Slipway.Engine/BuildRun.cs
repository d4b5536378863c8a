namespace Slipway.Engine;

/// <summary>The state of one invocation: the graph, the plan, the parameters and the target running now.</summary>
internal sealed class BuildRun(TargetGraph graph, ExecutionPlan plan, IReadOnlyList<BuildParameter> parameters, SecretMasker masker)
{
    public TargetGraph Graph { get; } = graph;

    public ExecutionPlan Plan { get; } = plan;

    public IReadOnlyList<BuildParameter> Parameters { get; } = parameters;

    public SecretMasker Masker { get; } = masker;

    public ExecutableTarget? Current { get; set; }
}
