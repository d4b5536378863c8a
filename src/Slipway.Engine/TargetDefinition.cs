using System.Linq.Expressions;

namespace Slipway.Engine;

/// <summary>The recorded declaration of one target; filled by its <see cref="Target"/> delegate.</summary>
internal sealed class TargetDefinition : ITargetDefinition
{
    public string? DescriptionText { get; private set; }
    public List<Target> Dependencies { get; } = [];
    public List<Target> Dependents { get; } = [];
    public List<Target> RunsAfter { get; } = [];
    public List<Target> RunsBefore { get; } = [];
    public List<Target> Triggered { get; } = [];
    public List<Target> TriggeredByTargets { get; } = [];
    public List<Expression<Func<bool>>> StaticConditions { get; } = [];
    public List<Expression<Func<bool>>> DynamicConditions { get; } = [];
    public DependencyBehavior SkippedDependencies { get; private set; } = DependencyBehavior.Execute;
    public List<Expression<Func<object?>>> RequiredParameters { get; } = [];
    public List<Expression<Func<bool>>> RequiredConditions { get; } = [];
    public List<string> RequiredTools { get; } = [];
    public List<string> ProducedPaths { get; } = [];
    public List<Target> ConsumedTargets { get; } = [];
    public bool ProceedsAfterFailure { get; private set; }
    public bool IsAssured { get; private set; }
    public bool IsUnlisted { get; private set; }

    /// <summary>Null for a target that only reads or builds locally; otherwise what --dry-run does with it.</summary>
    public DryRunBehavior? WhenDry { get; private set; }
    public List<Func<CancellationToken, Task>> Actions { get; } = [];

    public ITargetDefinition Description(string description) => Set(() => DescriptionText = description);
    public ITargetDefinition DependsOn(params Target[] targets) => Set(() => Dependencies.AddRange(targets));
    public ITargetDefinition DependentFor(params Target[] targets) => Set(() => Dependents.AddRange(targets));
    public ITargetDefinition After(params Target[] targets) => Set(() => RunsAfter.AddRange(targets));
    public ITargetDefinition Before(params Target[] targets) => Set(() => RunsBefore.AddRange(targets));
    public ITargetDefinition Triggers(params Target[] targets) => Set(() => Triggered.AddRange(targets));
    public ITargetDefinition TriggeredBy(params Target[] targets) => Set(() => TriggeredByTargets.AddRange(targets));
    public ITargetDefinition OnlyWhenStatic(params Expression<Func<bool>>[] conditions) => Set(() => StaticConditions.AddRange(conditions));
    public ITargetDefinition OnlyWhenDynamic(params Expression<Func<bool>>[] conditions) => Set(() => DynamicConditions.AddRange(conditions));
    public ITargetDefinition WhenSkipped(DependencyBehavior behavior) => Set(() => SkippedDependencies = behavior);
    public ITargetDefinition Requires(params Expression<Func<object?>>[] parameters) => Set(() => RequiredParameters.AddRange(parameters));
    public ITargetDefinition Requires(params Expression<Func<bool>>[] conditions) => Set(() => RequiredConditions.AddRange(conditions));
    public ITargetDefinition RequiresTool(params string[] tools) => Set(() => RequiredTools.AddRange(tools));
    public ITargetDefinition ProceedAfterFailure() => Set(() => ProceedsAfterFailure = true);
    public ITargetDefinition AssuredAfterFailure() => Set(() => IsAssured = true);
    public ITargetDefinition Unlisted() => Set(() => IsUnlisted = true);
    public ITargetDefinition Writes(DryRunBehavior whenDry = DryRunBehavior.Skip) => Set(() => WhenDry = whenDry);
    public ITargetDefinition Produces(params string[] paths) => Set(() => ProducedPaths.AddRange(paths));
    public ITargetDefinition Consumes(params Target[] producers) => Set(() => ConsumedTargets.AddRange(producers));

    public ITargetDefinition Executes(Action action) =>
        Set(() => Actions.Add(_ =>
        {
            action();
            return Task.CompletedTask;
        }));

    public ITargetDefinition Executes(Func<Task> action) => Set(() => Actions.Add(_ => action()));
    public ITargetDefinition Executes(Func<CancellationToken, Task> action) => Set(() => Actions.Add(action));

    private TargetDefinition Set(Action change)
    {
        change();
        return this;
    }
}
