using Slipway.Engine.CI.Yaml;

namespace Slipway.Engine.CI;

/// <summary>A generated file: its path relative to the repository root, and its exact content (LF line endings).</summary>
public sealed record GeneratedFile(string RelativePath, string Content);

/// <summary>Turns declared workflows into YAML, mirroring the target graph (see <see cref="JobPlanner"/>).</summary>
internal static class WorkflowGenerator
{
    public const string RegenerateCommand = "./build.sh --generate-ci";

    public static IReadOnlyList<GeneratedFile> Generate(IEnumerable<Workflow> workflows, TargetGraph graph, IReadOnlyList<BuildParameter> parameters)
    {
        var files = workflows.Select(w => new GeneratedFile($".github/workflows/{w.FileName}.yml", Write(w, graph, parameters))).ToList();
        var duplicate = files.GroupBy(f => f.RelativePath).FirstOrDefault(g => g.Count() > 1);
        return duplicate is null ? files : throw new UsageException($"two workflows write {duplicate.Key}");
    }

    public static string Write(Workflow workflow, TargetGraph graph, IReadOnlyList<BuildParameter> parameters)
    {
        if (workflow.Triggers.Count == 0)
            throw new UsageException($"workflow {workflow.FileName}: declare at least one trigger (OnPush, OnPullRequest, ...)");
        var jobs = JobPlanner.Plan(workflow, graph);
        CheckEnvironmentNeeds(workflow, jobs);

        var document = new YamlMapping().Add("name", workflow.Name);
        var on = new YamlMapping();
        foreach (var trigger in workflow.Triggers)
            on.Add(trigger.EventName, trigger.ToYaml());
        document.Add("on", on);
        document.Add("permissions", new YamlMapping().Add("contents", "read"));
        if (workflow.Concurrency is { } concurrency)
            document.Add("concurrency", Concurrency(concurrency));
        document.AddIfAny("env", Pairs(workflow.Environment));

        var jobMap = new YamlMapping();
        foreach (var job in jobs)
            jobMap.Add(job.Id, Job(workflow, job, graph, parameters));
        document.Add("jobs", jobMap);
        return YamlWriter.Write(document, [$"Generated from the build definition by {RegenerateCommand}; do not edit by hand."]);
    }

    private static YamlMapping Job(Workflow workflow, PlannedJob job, TargetGraph graph, IReadOnlyList<BuildParameter> parameters)
    {
        var steps = new List<WorkflowStep>
        {
            WorkflowSteps.Checkout(),
            WorkflowSteps.SetupDotNet(),
            WorkflowSteps.NuGetCache(),
        };
        steps.AddRange(job.Downloads.Select(d => WorkflowSteps.DownloadArtifact(d.Producer.ArtifactName(d.Target), DownloadPath(d.Target.Produces))));
        if (job.Declaration.Certificates is { } certificates)
            steps.Add(WorkflowSteps.WriteCertificates(certificates.Folder, certificates.SecretPrefix));
        steps.AddRange(job.Declaration.StepsBefore);
        steps.Add(BuildStep(workflow, job, parameters));
        steps.AddRange(job.Runs.Where(t => t.Produces.Count > 0).Select(t => WorkflowSteps.UploadArtifact(job.ArtifactName(t), t.Produces)));
        steps.AddRange(job.Declaration.StepsAfter);
        if (job.Declaration.Certificates is { } written)
            steps.Add(WorkflowSteps.RemoveCertificates(written.Folder));

        var yaml = new YamlMapping()
            .Add("name", string.Join(" → ", job.Runs.Select(t => t.Name)) + (job.Stage is null ? "" : $" ({job.Stage.Environment})"))
            .AddIfAny("needs", YamlSequence.Of(job.Needs.Select(n => n.Id)));
        if (Condition(workflow, job, graph) is { } condition)
            yaml.Add("if", condition);
        yaml.Add("runs-on", workflow.Runner)
            .Add("timeout-minutes", YamlScalar.Number(job.Declaration.TimeoutMinutes ?? workflow.TimeoutMinutes));
        if (job.Stage is { } stage)
        {
            var environment = new YamlMapping().Add("name", stage.Environment);
            if (stage.Url is not null)
                environment.Add("url", stage.Url);
            yaml.Add("environment", environment)
                .Add("concurrency", Concurrency(new WorkflowConcurrency($"{workflow.FileName}-{stage.Environment}", CancelInProgress: "false")));
        }

        yaml.AddIfAny("permissions", Permissions(steps));
        var where = $"workflow {workflow.FileName}, job '{job.Id}'";
        return yaml.Add("steps", new YamlSequence(steps.Select(s => (YamlNode)s.ToYaml(workflow.PinsActions, where))));
    }

    private static WorkflowStep BuildStep(Workflow workflow, PlannedJob job, IReadOnlyList<BuildParameter> parameters)
    {
        // Secrets: those the job imports, and every [Secret] parameter a target it runs Requires.
        var arguments = job.Invoked.Select(t => t.Name).Concat(job.Stage?.BuildArguments ?? []).ToList();
        if (job.Skips.Count > 0)
            arguments.AddRange(job.Skips.Select(t => t.Name).Prepend("--skip"));
        var required = job.Runs.SelectMany(t => t.Definition.RequiredParameters).Select(r => MemberName(r.Body)).OfType<string>();
        var secrets = job.Declaration.Secrets.Concat(required.Where(m => parameters.Any(p => p.MemberName == m && p.IsSecret))).Select(member =>
        {
            var parameter = parameters.FirstOrDefault(p => p.MemberName == member)
                ?? throw new UsageException($"workflow {workflow.FileName}: job '{job.Id}' imports '{member}', which is not a [Parameter] of the build");
            if (!parameter.IsSecret)
                throw new UsageException($"workflow {workflow.FileName}: job '{job.Id}' imports '{member}' as a secret, but it is not marked [Secret]");
            return new KeyValuePair<string, string>(parameter.EnvironmentVariable, GitHubExpression.Secret(parameter.EnvironmentVariable).Text);
        });
        var environmentSecrets = job.Declaration.EnvironmentSecrets.Select(name => new KeyValuePair<string, string>(name, GitHubExpression.Secret(name).Text));
        var launcher = job.Declaration.Launcher;
        return new WorkflowStep
        {
            Name = $"{launcher} {string.Join(' ', job.Invoked.Select(t => t.Name))}",
            Run = $"{launcher} " + string.Join(' ', arguments),
            Environment =
            [
                .. job.Declaration.Environment,
                .. secrets.Concat(environmentSecrets).DistinctBy(s => s.Key).OrderBy(s => s.Key, StringComparer.Ordinal),
            ],
        };
    }

    private static string? MemberName(System.Linq.Expressions.Expression body) => body switch
    {
        System.Linq.Expressions.MemberExpression member => member.Member.Name,
        System.Linq.Expressions.UnaryExpression unary => MemberName(unary.Operand),
        _ => null,
    };

    /// <summary>A stage's condition, and for a job that runs after a failure, that the watched job failed.</summary>
    private static string? Condition(Workflow workflow, PlannedJob job, TargetGraph graph)
    {
        var parts = new List<string>();
        if (job.Declaration.OnlyAfterFailureOf is { } failed)
        {
            var target = graph.Resolve(failed);
            var watched = job.Needs.FirstOrDefault(n => n.Runs.Contains(target))
                ?? throw new UsageException($"workflow {workflow.FileName}: job '{job.Id}' must need the job that runs {target.Name} directly");
            // failure() alone is also true when any earlier stage failed; the result check keeps this to the watched job.
            parts.Add($"failure() && needs.{watched.Id}.result == 'failure'");
        }

        if (job.Stage?.Condition is { } stageCondition)
            parts.Add(parts.Count == 0 ? stageCondition : $"({stageCondition})");
        return parts.Count == 0 ? null : $"${{{{ {string.Join(" && ", parts)} }}}}";
    }

    /// <summary>contents: read plus what the job's steps need; write wins over read. Null when nothing beyond the workflow's.</summary>
    private static YamlMapping? Permissions(IEnumerable<WorkflowStep> steps)
    {
        var scopes = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["contents"] = "read" };
        foreach (var (scope, access) in steps.SelectMany(s => s.Permissions))
        {
            if (access is not ("read" or "write"))
                throw new ArgumentException($"permission '{scope}: {access}' must be read or write");
            if (access == "write" || !scopes.ContainsKey(scope))
                scopes[scope] = access;
        }

        if (scopes.Count == 1 && scopes["contents"] == "read")
            return null;
        var mapping = new YamlMapping();
        foreach (var (scope, access) in scopes)
            mapping.Add(scope, access);
        return mapping;
    }

    private static YamlMapping Concurrency(WorkflowConcurrency concurrency) =>
        new YamlMapping().Add("group", concurrency.Group).Add("cancel-in-progress", concurrency.CancelInProgress is "true" or "false"
            ? new YamlScalar(concurrency.CancelInProgress, isVerbatim: true)
            : concurrency.CancelInProgress);

    /// <summary>
    /// What an environment's file names reaches the jobs of that environment and only those: each need of a stage is
    /// supplied by one of its jobs, and no job outside a stage is handed environment secrets or certificates.
    /// </summary>
    private static void CheckEnvironmentNeeds(Workflow workflow, IReadOnlyList<PlannedJob> jobs)
    {
        foreach (var stage in workflow.Jobs.Select(j => j.Stage).OfType<WorkflowStage>().Distinct())
        {
            var stageJobs = jobs.Where(j => j.Stage == stage).ToList();
            var missing = stage.Needs.FirstOrDefault(need => !stageJobs.Any(j => need.SuppliedBy(j.Declaration)));
            if (missing is not null)
                throw new UsageException($"workflow {workflow.FileName}: environment {stage.Environment} needs {missing.What} ({missing.DeclaredIn}), but no job of the stage supplies it: {missing.Remedy}");
        }

        var outside = jobs.FirstOrDefault(j => j.Stage is null && (j.Declaration.EnvironmentSecrets.Count > 0 || j.Declaration.Certificates is not null));
        if (outside is not null)
            throw new UsageException($"workflow {workflow.FileName}: job '{outside.Id}' is in no stage, so it has no environment whose secrets or certificates it could be given: declare it in the stage of its environment");
    }

    private static YamlMapping Pairs(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var mapping = new YamlMapping();
        foreach (var (key, value) in pairs)
            mapping.Add(key, value);
        return mapping;
    }

    /// <summary>
    /// Where a download lands so the files end up where the producer wrote them: upload-artifact stores paths
    /// relative to their deepest common folder, so that folder is the download path.
    /// </summary>
    internal static string DownloadPath(IReadOnlyList<string> produced)
    {
        var folders = produced.Select(p => p.Trim('/').Split('/')).ToList();
        if (folders.Count == 1)
            return string.Join('/', Path.HasExtension(folders[0][^1]) ? folders[0][..^1] : folders[0]) is { Length: > 0 } single ? single : ".";
        var common = new List<string>();
        for (var i = 0; folders.All(f => f.Length > i + 1) && folders.All(f => f[i] == folders[0][i]); i++)
            common.Add(folders[0][i]);
        return common.Count == 0 ? "." : string.Join('/', common);
    }
}
