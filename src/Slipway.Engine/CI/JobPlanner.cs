namespace Slipway.Engine.CI;

/// <summary>A job as derived from the graph: what it runs, what it skips because other jobs run it, what it needs.</summary>
internal sealed record PlannedJob(
    string Id,
    WorkflowJob Declaration,
    WorkflowStage? Stage,
    IReadOnlyList<ExecutableTarget> Invoked,
    IReadOnlyList<ExecutableTarget> Runs,
    IReadOnlyList<ExecutableTarget> Skips,
    IReadOnlyList<PlannedJob> Needs,
    IReadOnlyList<(PlannedJob Producer, ExecutableTarget Target)> Downloads)
{
    /// <summary>Every job this one waits for, directly or through others.</summary>
    public IEnumerable<PlannedJob> Ancestors => Needs.SelectMany(n => n.Ancestors.Prepend(n)).Distinct();

    public string ArtifactName(ExecutableTarget target) => ParameterName.ToKebab(target.Name) + StageSuffix;

    public string StageSuffix => Stage is null ? "" : "-" + Stage.Environment;
}

/// <summary>
/// Derives a workflow's jobs from the target graph. Each declared job invokes its targets; of everything those
/// targets depend on or trigger, a job runs what no other job of its scope runs. Its scope is its stage (an
/// environment), plus the jobs outside stages, whose work every stage reuses. Targets an earlier job ran are
/// skipped (<c>--skip</c>: a skipped dependency counts as satisfied) and that job becomes a need; targets a
/// later job of the scope invokes are skipped too, and run there. So nothing runs twice per scope. A stage that
/// <see cref="WorkflowStage.Reuses"/> targets takes them (and what they depend on) from the earlier stage's job that ran
/// them, as if that job were in its scope; <see cref="WorkflowJob.WaitsFor"/> adds a need without a dependency.
/// </summary>
internal static class JobPlanner
{
    public static IReadOnlyList<PlannedJob> Plan(Workflow workflow, TargetGraph graph)
    {
        var declared = workflow.Jobs
            .Select(j => (j.Job, j.Stage, Invoked: j.Job.Targets.Select(t => Resolve(graph, workflow, t)).ToList()))
            .ToList();
        var planned = new List<PlannedJob>();
        for (var index = 0; index < declared.Count; index++)
        {
            var (job, stage, invoked) = declared[index];
            var visible = planned.Where(p => p.Stage is null || p.Stage == stage).ToList();
            var reused = Reused(workflow, graph, stage);
            var earlierStages = planned.Where(p => p.Stage is not null && p.Stage != stage).ToList();
            foreach (var target in (stage?.Reused ?? []).Select(t => graph.Resolve(t)).Where(t => !earlierStages.Any(p => p.Runs.Contains(t))))
                throw Error(workflow, $"stage {stage!.Environment} reuses {target.Name}, but no earlier stage's job runs it");
            PlannedJob? OwnerOf(ExecutableTarget target) => visible.LastOrDefault(p => p.Runs.Contains(target))
                ?? (reused.Contains(target) ? earlierStages.LastOrDefault(p => p.Runs.Contains(target)) : null);
            bool InvokedLater(ExecutableTarget target) =>
                declared.Skip(index + 1).Any(d => d.Stage == stage && d.Invoked.Contains(target));

            foreach (var target in invoked.Where(t => OwnerOf(t) is not null))
                throw Error(workflow, $"{target.Name} is invoked by job '{Id(invoked, stage)}' but job '{OwnerOf(target)!.Id}' already runs it");

            var prerequisites = DependencyClosure(invoked);
            var runs = new List<ExecutableTarget>();
            var skips = new List<ExecutableTarget>();
            var needs = new List<PlannedJob>();
            foreach (var target in ExecutionPlan.Create(graph, invoked).Targets)
            {
                if (invoked.Contains(target))
                {
                    runs.Add(target);
                }
                else if (OwnerOf(target) is { } owner)
                {
                    skips.Add(target);
                    needs.Add(owner);
                }
                else if (InvokedLater(target))
                {
                    if (prerequisites.Contains(target))
                        throw Error(workflow, $"job '{Id(invoked, stage)}' needs {target.Name}, which a later job invokes: declare that job first");
                    skips.Add(target);
                }
                else
                {
                    runs.Add(target);
                }
            }

            foreach (var predecessor in runs.SelectMany(graph.Predecessors).Where(p => !runs.Contains(p)))
            {
                if (OwnerOf(predecessor) is { } owner)
                    needs.Add(owner);
            }

            var downloads = new List<(PlannedJob, ExecutableTarget)>();
            foreach (var consumer in runs)
            {
                foreach (var producer in consumer.Definition.ConsumedTargets.Select(graph.Resolve))
                {
                    if (producer.Produces.Count == 0)
                        throw Error(workflow, $"{consumer.Name} consumes {producer.Name}, which declares nothing it .Produces()");
                    if (runs.Contains(producer))
                        continue;
                    var owner = OwnerOf(producer)
                        ?? throw Error(workflow, $"{consumer.Name} consumes {producer.Name}, but no earlier job of its scope runs {producer.Name}");
                    needs.Add(owner);
                    downloads.Add((owner, producer));
                }
            }

            foreach (var gate in job.Gates.Select(g => Resolve(graph, workflow, g)))
                needs.Add(OwnerOf(gate) ?? throw Error(workflow, $"job '{Id(invoked, stage)}' waits for {gate.Name}, but no earlier job runs {gate.Name}"));

            if (job.OnlyAfterFailureOf is { } failed)
            {
                var target = Resolve(graph, workflow, failed);
                needs.Add(OwnerOf(target) ?? throw Error(workflow, $"job '{Id(invoked, stage)}' runs when {target.Name} failed, but no earlier job runs {target.Name}"));
            }

            if (stage is not null && !needs.Any(n => n.Stage == stage))
                needs.AddRange(PreviousStageGate(planned, stage));

            var id = Id(invoked, stage);
            if (planned.Any(p => p.Id == id))
                throw Error(workflow, $"two jobs would be called '{id}': invoke different targets");
            planned.Add(new PlannedJob(id, job, stage, invoked, runs, skips, Reduce(needs), downloads.Distinct().ToList()));
        }

        return planned;
    }

    private static ExecutableTarget Resolve(TargetGraph graph, Workflow workflow, Target target)
    {
        try
        {
            return graph.Resolve(target);
        }
        catch (InvalidOperationException e)
        {
            throw Error(workflow, e.Message);
        }
    }

    /// <summary>The targets a stage takes over from earlier stages, with everything they depend on.</summary>
    private static HashSet<ExecutableTarget> Reused(Workflow workflow, TargetGraph graph, WorkflowStage? stage)
    {
        if (stage is null)
            return [];
        var targets = stage.Reused.Select(t => Resolve(graph, workflow, t)).ToList();
        var closure = DependencyClosure(targets);
        closure.UnionWith(targets);
        return closure;
    }

    private static HashSet<ExecutableTarget> DependencyClosure(IEnumerable<ExecutableTarget> targets)
    {
        var closure = new HashSet<ExecutableTarget>();
        var pending = new Stack<ExecutableTarget>(targets.SelectMany(t => t.Dependencies));
        while (pending.TryPop(out var target))
        {
            if (closure.Add(target))
                target.Dependencies.ToList().ForEach(pending.Push);
        }

        return closure;
    }

    /// <summary>The jobs the previous stage ends with (those no other unconditional job of it waits for).</summary>
    private static IEnumerable<PlannedJob> PreviousStageGate(List<PlannedJob> planned, WorkflowStage stage)
    {
        var previous = planned.LastOrDefault(p => p.Stage is not null && p.Stage != stage)?.Stage;
        if (previous is null)
            return [];
        var unconditional = planned.Where(p => p.Stage == previous && p.Declaration.OnlyAfterFailureOf is null).ToList();
        return unconditional.Where(j => !unconditional.Any(other => other.Needs.Contains(j)));
    }

    /// <summary>Direct needs only: a job already reached through another need is left out, so needs: reads as the graph.</summary>
    private static List<PlannedJob> Reduce(List<PlannedJob> needs)
    {
        var distinct = needs.Distinct().ToList();
        return distinct.Where(n => !distinct.Any(other => other != n && other.Ancestors.Contains(n))).ToList();
    }

    private static string Id(IReadOnlyList<ExecutableTarget> invoked, WorkflowStage? stage) =>
        ParameterName.ToKebab(invoked[^1].Name) + (stage is null ? "" : "-" + stage.Environment);

    private static UsageException Error(Workflow workflow, string message) => new($"workflow {workflow.FileName}: {message}");
}
