using System.Reflection;

namespace Slipway.Engine;

/// <summary>All targets of a build, in declaration order, with their edges resolved to targets.</summary>
public sealed class TargetGraph
{
    private TargetGraph(IReadOnlyList<ExecutableTarget> targets) => Targets = targets;

    public IReadOnlyList<ExecutableTarget> Targets { get; }

    public ExecutableTarget this[string name] => Find(name) ?? throw new KeyNotFoundException(name);

    public ExecutableTarget? Find(string name) =>
        Targets.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The target a delegate (as passed to DependsOn) stands for.</summary>
    internal ExecutableTarget Resolve(Target target) =>
        Targets.FirstOrDefault(t => t.Factory.Method == target.Method)
        ?? throw new InvalidOperationException($"target {target.Method.Name} is not a property of the build");

    /// <summary>Reads every <see cref="Target"/> property of the build and resolves the edges between them.</summary>
    public static TargetGraph Create(object build)
    {
        var properties = build.GetType()
            .GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(p => p.PropertyType == typeof(Target))
            .OrderBy(p => p.MetadataToken)
            .ToList();
        var targets = properties
            .Select((p, i) =>
            {
                var factory = (Target)p.GetValue(build)!;
                var definition = new TargetDefinition();
                factory(definition);
                return new ExecutableTarget(p.Name, i, factory, definition);
            })
            .ToList();
        var graph = new TargetGraph(targets);

        var dependencies = targets.ToDictionary(t => t, t => t.Definition.Dependencies.Select(graph.Resolve).ToList());
        var after = targets.ToDictionary(t => t, t => t.Definition.RunsAfter.Select(graph.Resolve).ToList());
        var triggers = targets.ToDictionary(t => t, t => t.Definition.Triggered.Select(graph.Resolve).ToList());
        foreach (var target in targets)
        {
            foreach (var dependent in target.Definition.Dependents.Select(graph.Resolve))
                dependencies[dependent].Add(target);
            foreach (var later in target.Definition.RunsBefore.Select(graph.Resolve))
                after[later].Add(target);
            foreach (var trigger in target.Definition.TriggeredByTargets.Select(graph.Resolve))
                triggers[trigger].Add(target);
        }

        foreach (var target in targets)
        {
            target.Dependencies = dependencies[target].Distinct().OrderBy(t => t.Index).ToList();
            target.OrderedAfter = after[target].Distinct().OrderBy(t => t.Index).ToList();
            target.Triggers = triggers[target].Distinct().OrderBy(t => t.Index).ToList();
        }

        graph.RejectCycles();
        return graph;
    }

    /// <summary>The edges "must run before": dependencies, After/Before, and a trigger before what it triggers.</summary>
    internal IEnumerable<ExecutableTarget> Predecessors(ExecutableTarget target) =>
        target.Dependencies
            .Concat(target.OrderedAfter)
            .Concat(Targets.Where(t => t.Triggers.Contains(target)));

    private void RejectCycles()
    {
        var state = new Dictionary<ExecutableTarget, int>();
        var path = new Stack<ExecutableTarget>();
        foreach (var target in Targets)
            Visit(target);

        void Visit(ExecutableTarget target)
        {
            switch (state.GetValueOrDefault(target))
            {
                case 2:
                    return;
                case 1:
                    var cycle = path.Reverse().SkipWhile(t => t != target).Append(target).Select(t => t.Name);
                    throw new UsageException($"the targets form a cycle: {string.Join(" → ", cycle)}");
            }

            state[target] = 1;
            path.Push(target);
            foreach (var predecessor in Predecessors(target).OrderBy(t => t.Index))
                Visit(predecessor);
            path.Pop();
            state[target] = 2;
        }
    }
}
