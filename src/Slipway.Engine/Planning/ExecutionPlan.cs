namespace Slipway.Engine;

/// <summary>
/// The targets one invocation runs, in order: everything the invoked targets depend on or trigger,
/// sorted topologically, ties broken by declaration order, so the same invocation always gives the same plan.
/// </summary>
public sealed class ExecutionPlan
{
    private readonly HashSet<ExecutableTarget> wouldRun = [];

    private ExecutionPlan(IReadOnlyList<ExecutableTarget> invoked, IReadOnlyList<ExecutableTarget> ordered, IReadOnlyDictionary<ExecutableTarget, string> skipped)
    {
        Invoked = invoked;
        Targets = ordered;
        Skipped = skipped;
    }

    public IReadOnlyList<ExecutableTarget> Invoked { get; }

    public IReadOnlyList<ExecutableTarget> Targets { get; }

    /// <summary>Targets in the plan that will not run, with the reason.</summary>
    public IReadOnlyDictionary<ExecutableTarget, string> Skipped { get; }

    /// <summary>Targets a --dry-run leaves out that the real run would run (their reasons are in <see cref="Skipped"/>).</summary>
    public IReadOnlySet<ExecutableTarget> WouldRun => wouldRun;

    /// <param name="skip">Null: no --skip. Empty: skip every target that was not invoked. Otherwise the named ones.</param>
    public static ExecutionPlan Create(TargetGraph graph, IReadOnlyList<ExecutableTarget> invoked, IReadOnlyList<ExecutableTarget>? skip = null)
    {
        var included = new HashSet<ExecutableTarget>();
        var pending = new Stack<ExecutableTarget>(invoked.Reverse());
        while (pending.TryPop(out var target))
        {
            if (!included.Add(target))
                continue;
            foreach (var next in target.Dependencies.Concat(target.Triggers))
                pending.Push(next);
        }

        var ordered = Order(graph, included);
        var skipped = new Dictionary<ExecutableTarget, string>();
        foreach (var target in ordered.Where(t => !invoked.Contains(t)))
        {
            if (skip is { Count: 0 })
                skipped[target] = "--skip";
            else if (skip?.Contains(target) == true)
                skipped[target] = "--skip";
        }

        return new ExecutionPlan(invoked, ordered, skipped);
    }

    /// <summary>
    /// Marks targets whose static conditions are false and, under --dry-run, the targets that write; then the targets
    /// left without a reason to run: dependencies needed only by skipped targets that declared
    /// <see cref="DependencyBehavior.Skip"/> (or, under --dry-run, by targets that write), and targets triggered only by
    /// skipped targets (or, under --dry-run, by targets that only print their plan).
    /// </summary>
    internal void ApplyStaticConditions(Func<ExecutableTarget, string?> failingCondition, bool dryRun)
    {
        var skipped = (Dictionary<ExecutableTarget, string>)Skipped;
        var dryRunCauses = new HashSet<ExecutableTarget>();
        foreach (var target in Targets.Where(t => !skipped.ContainsKey(t)))
        {
            if (failingCondition(target) is { } condition)
            {
                skipped[target] = $"condition false: {condition}";
            }
            else if (dryRun && target.Definition.WhenDry == DryRunBehavior.Skip)
            {
                skipped[target] = "would run (it writes; --dry-run)";
                wouldRun.Add(target);
                dryRunCauses.Add(target);
            }
        }

        bool PrintsPlan(ExecutableTarget target) => dryRun && target.Definition.WhenDry == DryRunBehavior.PrintPlan && !skipped.ContainsKey(target);
        bool changed;
        do
        {
            changed = false;
            foreach (var target in Targets.Where(t => !skipped.ContainsKey(t) && !Invoked.Contains(t)))
            {
                var dependents = Targets.Where(t => t.Dependencies.Contains(target)).ToList();
                var triggerers = Targets.Where(t => t.Triggers.Contains(target)).ToList();
                if (dependents.Count + triggerers.Count == 0)
                    continue;
                var stillNeeded =
                    dependents.Any(d => !skipped.ContainsKey(d) || (d.Definition.SkippedDependencies == DependencyBehavior.Execute && !dryRunCauses.Contains(d))) ||
                    triggerers.Any(t => !skipped.ContainsKey(t) && !PrintsPlan(t));
                if (stillNeeded)
                    continue;
                skipped[target] = WhyNotNeeded(target, dependents, triggerers);
                changed = true;
            }
        }
        while (changed);

        string WhyNotNeeded(ExecutableTarget target, List<ExecutableTarget> dependents, List<ExecutableTarget> triggerers)
        {
            if (dependents.FirstOrDefault(wouldRun.Contains) is { } writer)
            {
                wouldRun.Add(target);
                dryRunCauses.Add(target);
                return $"would run for {writer.Name} (--dry-run)";
            }

            if (triggerers.FirstOrDefault(PrintsPlan) is { } planner)
            {
                dryRunCauses.Add(target);
                return $"not triggered: {planner.Name} only printed its plan (--dry-run)";
            }

            if (triggerers.FirstOrDefault(dryRunCauses.Contains) is { } notTriggering)
            {
                dryRunCauses.Add(target);
                return $"not triggered: {notTriggering.Name} does not run (--dry-run)";
            }

            if (dependents.FirstOrDefault(dryRunCauses.Contains) is { } notNeeding)
            {
                dryRunCauses.Add(target);
                return $"not needed: {notNeeding.Name} does not run (--dry-run)";
            }

            return "only needed by skipped targets";
        }
    }

    private static List<ExecutableTarget> Order(TargetGraph graph, HashSet<ExecutableTarget> included)
    {
        var remaining = included.ToDictionary(t => t, t => graph.Predecessors(t).Where(included.Contains).Distinct().Count());
        var ordered = new List<ExecutableTarget>(included.Count);
        var ready = new PriorityQueue<ExecutableTarget, int>();
        foreach (var (target, count) in remaining.Where(kv => kv.Value == 0))
            ready.Enqueue(target, target.Index);
        while (ready.TryDequeue(out var target, out _))
        {
            ordered.Add(target);
            foreach (var successor in included.Where(s => graph.Predecessors(s).Contains(target)))
            {
                remaining[successor] -= 1;
                if (remaining[successor] == 0)
                    ready.Enqueue(successor, successor.Index);
            }
        }

        return ordered;
    }
}
