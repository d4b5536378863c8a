using YamlDotNet.RepresentationModel;

namespace Slipway.Delivery.Tests.Workflows.Simulator;

/// <summary>A job's or workflow's <c>concurrency:</c> (group and cancel-in-progress are still expressions).</summary>
internal sealed record ConcurrencySpec(string Group, string CancelInProgress);

internal sealed record EnvironmentSpec(string Name, string? Url);

internal sealed record StepSpec(string? Id, string? Name, string? If, string? Uses, string? Run, string? Shell,
    IReadOnlyDictionary<string, string> With, IReadOnlyDictionary<string, string> Env, string? WorkingDirectory)
{
    public string Title => Name ?? Uses ?? Run?.Split('\n')[0] ?? "step";
}

internal sealed record JobSpec(string Id, string? Name, IReadOnlyList<string> Needs, string? If, string? RunsOn,
    EnvironmentSpec? Environment, ConcurrencySpec? Concurrency, IReadOnlyDictionary<string, string>? Permissions,
    int TimeoutMinutes, IReadOnlyDictionary<string, string> Env, IReadOnlyList<StepSpec> Steps,
    IReadOnlyDictionary<string, string> Outputs);

/// <summary>
/// A workflow file as the simulator runs it, parsed with YamlDotNet. Keys the simulator does not handle (services,
/// container, strategy/matrix, defaults, continue-on-error...) fail loudly instead of being ignored.
/// </summary>
internal sealed record WorkflowFile(string Name, IReadOnlyList<string> Events, ConcurrencySpec? Concurrency,
    IReadOnlyDictionary<string, string>? Permissions, IReadOnlyDictionary<string, string> Env, IReadOnlyList<JobSpec> Jobs,
    IReadOnlyDictionary<string, string> InputDefaults)
{
    private static readonly HashSet<string> JobKeys = ["name", "needs", "if", "runs-on", "environment", "concurrency", "permissions", "timeout-minutes", "env", "steps", "outputs"];
    private static readonly HashSet<string> StepKeys = ["id", "name", "if", "uses", "run", "shell", "with", "env", "working-directory"];

    public static WorkflowFile Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
            stream.Load(reader);
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var on = Child(root, "on");
        var events = on switch
        {
            YamlMappingNode m => m.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList(),
            YamlSequenceNode s => s.Children.Select(c => ((YamlScalarNode)c).Value!).ToList(),
            YamlScalarNode s => [s.Value!],
            _ => throw new WorkflowSimulationException($"{path}: no 'on:'"),
        };
        var inputs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (on is YamlMappingNode onMap && Child(onMap, "workflow_dispatch") is YamlMappingNode dispatch && Child(dispatch, "inputs") is YamlMappingNode inputMap)
        {
            foreach (var (key, value) in inputMap.Children)
            {
                if (value is YamlMappingNode input && Scalar(input, "default") is { } fallback)
                    inputs[((YamlScalarNode)key).Value!] = fallback;
            }
        }

        var jobs = ((YamlMappingNode)Child(root, "jobs")!).Children
            .Select(pair => Job(((YamlScalarNode)pair.Key).Value!, (YamlMappingNode)pair.Value))
            .ToList();
        return new WorkflowFile(Scalar(root, "name") ?? Path.GetFileName(path), events, ParseConcurrency(Child(root, "concurrency")),
            Map(Child(root, "permissions")), Map(Child(root, "env")) ?? Empty, jobs, inputs);
    }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    private static JobSpec Job(string id, YamlMappingNode node)
    {
        foreach (var key in node.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Where(k => !JobKeys.Contains(k)))
            throw new WorkflowSimulationException($"job {id}: '{key}' is not emulated by the workflow simulator");
        var needs = Child(node, "needs") switch
        {
            YamlScalarNode s => [s.Value!],
            YamlSequenceNode s => s.Children.Select(c => ((YamlScalarNode)c).Value!).ToList(),
            _ => new List<string>(),
        };
        var environment = Child(node, "environment") switch
        {
            YamlScalarNode s => new EnvironmentSpec(s.Value!, null),
            YamlMappingNode m => new EnvironmentSpec(Scalar(m, "name")!, Scalar(m, "url")),
            _ => null,
        };
        var steps = ((YamlSequenceNode)Child(node, "steps")!).Children.Cast<YamlMappingNode>().Select(s => Step(id, s)).ToList();
        var timeout = Scalar(node, "timeout-minutes") is { } minutes ? int.Parse(minutes, System.Globalization.CultureInfo.InvariantCulture) : 360;
        return new JobSpec(id, Scalar(node, "name"), needs, Scalar(node, "if"), Scalar(node, "runs-on"), environment,
            ParseConcurrency(Child(node, "concurrency")), Map(Child(node, "permissions")), timeout, Map(Child(node, "env")) ?? Empty, steps,
            Map(Child(node, "outputs")) ?? Empty);
    }

    private static StepSpec Step(string job, YamlMappingNode node)
    {
        foreach (var key in node.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Where(k => !StepKeys.Contains(k)))
            throw new WorkflowSimulationException($"job {job}: step key '{key}' is not emulated by the workflow simulator");
        return new StepSpec(Scalar(node, "id"), Scalar(node, "name"), Scalar(node, "if"), Scalar(node, "uses"), Scalar(node, "run"),
            Scalar(node, "shell"), Map(Child(node, "with")) ?? Empty, Map(Child(node, "env")) ?? Empty, Scalar(node, "working-directory"));
    }

    private static ConcurrencySpec? ParseConcurrency(YamlNode? node) => node switch
    {
        YamlScalarNode s => new ConcurrencySpec(s.Value!, "false"),
        YamlMappingNode m => new ConcurrencySpec(Scalar(m, "group")!, Scalar(m, "cancel-in-progress") ?? "false"),
        _ => null,
    };

    private static IReadOnlyDictionary<string, string>? Map(YamlNode? node) => node switch
    {
        YamlMappingNode m => m.Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value!, p => ((YamlScalarNode)p.Value).Value ?? "", StringComparer.Ordinal),
        // permissions: read-all / write-all
        YamlScalarNode s => new Dictionary<string, string> { ["*"] = s.Value! },
        _ => null,
    };

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string? Scalar(YamlMappingNode node, string key) => Child(node, key) is YamlScalarNode s ? s.Value : null;
}
