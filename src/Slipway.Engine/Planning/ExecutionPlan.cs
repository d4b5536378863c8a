namespace Slipway.Engine;

/// <summary>
/// The targets one invocation runs, in order: everything the invoked targets depend on or trigger,
/// sorted topologically, ties broken by declaration order, so the same invocation always gives the same plan.
/// </summary>
public sealed class ExecutionPlan
{
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
    /// Marks targets whose static conditions are false, then the dependencies left without a reason to run:
    /// those needed only by skipped targets that declared <see cref="DependencyBehavior.Skip"/>, or triggered
    /// only by skipped targets.
    /// </summary>
    internal void ApplyStaticConditions(Func<ExecutableTarget, string?> failingCondition)
    {
        var skipped = (Dictionary<ExecutableTarget, string>)Skipped;
        foreach (var target in Targets.Where(t => !skipped.ContainsKey(t)))
        {
            if (failingCondition(target) is { } condition)
                skipped[target] = $"condition false: {condition}";
        }

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
                    dependents.Any(d => !skipped.ContainsKey(d) || d.Definition.SkippedDependencies == DependencyBehavior.Execute) ||
                    triggerers.Any(t => !skipped.ContainsKey(t));
                if (!stillNeeded)
                {
                    skipped[target] = "only needed by skipped targets";
                    changed = true;
                }
            }
        }
        while (changed);
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
