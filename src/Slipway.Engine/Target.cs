using System.Linq.Expressions;

namespace Slipway.Engine;

/// <summary>A target, declared as a property: <c>Target Compile => _ => _.DependsOn(Restore).Executes(...)</c>.</summary>
public delegate ITargetDefinition Target(ITargetDefinition definition);

/// <summary>What happens to a skipped target's dependencies.</summary>
public enum DependencyBehavior
{
    /// <summary>Dependencies still run (the default).</summary>
    Execute,

    /// <summary>Dependencies needed only by skipped targets are skipped too.</summary>
    Skip,
}

/// <summary>What --dry-run does with a target that writes (see <see cref="ITargetDefinition.Writes"/>).</summary>
public enum DryRunBehavior
{
    /// <summary>It does not run; the summary lists it as "would run" (the default).</summary>
    Skip,

    /// <summary>It runs, changes nothing, and prints the plan its real run executes (the build reads IsDryRun).</summary>
    PrintPlan,
}

/// <summary>The fluent surface a target is declared with; mirrors NUKE's.</summary>
public interface ITargetDefinition
{
    ITargetDefinition Description(string description);

    /// <summary>These targets run first, and this one runs only when they succeed.</summary>
    ITargetDefinition DependsOn(params Target[] targets);

    /// <summary>This target runs before the given ones, which depend on it.</summary>
    ITargetDefinition DependentFor(params Target[] targets);

    /// <summary>Ordering only: when both run, this one runs after the given ones.</summary>
    ITargetDefinition After(params Target[] targets);

    /// <summary>Ordering only: when both run, this one runs before the given ones.</summary>
    ITargetDefinition Before(params Target[] targets);

    /// <summary>Whenever this target runs, the given ones run after it.</summary>
    ITargetDefinition Triggers(params Target[] targets);

    /// <summary>Whenever one of the given targets runs, this one runs after it.</summary>
    ITargetDefinition TriggeredBy(params Target[] targets);

    /// <summary>Conditions decided before anything runs; a false one skips the target.</summary>
    ITargetDefinition OnlyWhenStatic(params Expression<Func<bool>>[] conditions);

    /// <summary>Conditions decided just before the target would run.</summary>
    ITargetDefinition OnlyWhenDynamic(params Expression<Func<bool>>[] conditions);

    ITargetDefinition WhenSkipped(DependencyBehavior behavior);

    /// <summary>Parameters that must have a value; checked before the first target runs.</summary>
    ITargetDefinition Requires(params Expression<Func<object?>>[] parameters);

    /// <summary>Conditions that must hold; checked before the first target runs.</summary>
    ITargetDefinition Requires(params Expression<Func<bool>>[] conditions);

    /// <summary>Tools that must be on PATH; checked before the first target runs.</summary>
    ITargetDefinition RequiresTool(params string[] tools);

    /// <summary>When this target fails, the targets that do not depend on it still run.</summary>
    ITargetDefinition ProceedAfterFailure();

    /// <summary>This target runs even after an earlier target failed or the build was cancelled.</summary>
    ITargetDefinition AssuredAfterFailure();

    /// <summary>
    /// This target changes something outside the build's own folders (an engine, a registry, a database, a ledger).
    /// Under --dry-run it does not run, nor do the dependencies only it needed (both listed as "would run"), unless it
    /// declares <see cref="DryRunBehavior.PrintPlan"/>: it then runs and must only read; the targets it triggers are not triggered.
    /// </summary>
    ITargetDefinition Writes(DryRunBehavior whenDry = DryRunBehavior.Skip);

    /// <summary>Hidden from --help (still invocable).</summary>
    ITargetDefinition Unlisted();

    /// <summary>Files or folders (relative to the root) this target writes, for CI artifact hand-off.</summary>
    ITargetDefinition Produces(params string[] paths);

    /// <summary>This target reads what the given targets produce; in CI their artifacts are downloaded first.</summary>
    ITargetDefinition Consumes(params Target[] producers);

    ITargetDefinition Executes(Action action);

    ITargetDefinition Executes(Func<Task> action);

    ITargetDefinition Executes(Func<CancellationToken, Task> action);
}
