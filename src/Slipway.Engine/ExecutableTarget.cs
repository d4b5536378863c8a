namespace Slipway.Engine;

public enum TargetStatus
{
    NotRun,
    Skipped,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>A declared target resolved against its build: name, edges by name, and its run state.</summary>
public sealed class ExecutableTarget
{
    internal ExecutableTarget(string name, int index, Target factory, TargetDefinition definition)
    {
        Name = name;
        Index = index;
        Factory = factory;
        Definition = definition;
    }

    public string Name { get; }

    /// <summary>Declaration order; breaks ties in the plan.</summary>
    public int Index { get; }

    public string Description => Definition.DescriptionText ?? "";
    public bool IsListed => !Definition.IsUnlisted;
    public IReadOnlyList<ExecutableTarget> Dependencies { get; internal set; } = [];
    public IReadOnlyList<ExecutableTarget> OrderedAfter { get; internal set; } = [];
    public IReadOnlyList<ExecutableTarget> Triggers { get; internal set; } = [];
    public IReadOnlyList<string> Produces => Definition.ProducedPaths;

    public TargetStatus Status { get; internal set; } = TargetStatus.NotRun;
    public TimeSpan Duration { get; internal set; }
    public string? Note { get; internal set; }

    /// <summary>What the target reported beyond its note (findings, the URL it deployed), for the CI step summary.</summary>
    public IReadOnlyList<string> Details => details;

    private readonly List<string> details = [];

    internal void AddDetail(string detail)
    {
        lock (details)
            details.Add(detail);
    }

    internal Target Factory { get; }
    internal TargetDefinition Definition { get; }

    public override string ToString() => Name;
}
