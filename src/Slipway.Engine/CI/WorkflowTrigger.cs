using Slipway.Engine.CI.Yaml;

namespace Slipway.Engine.CI;

/// <summary>An event that starts a workflow (an entry under <c>on:</c>).</summary>
public abstract record WorkflowTrigger
{
    internal abstract string EventName { get; }

    internal abstract YamlNode ToYaml();
}

public sealed record PushTrigger(IReadOnlyList<string> Branches, IReadOnlyList<string> Paths, IReadOnlyList<string> PathsIgnore) : WorkflowTrigger
{
    internal override string EventName => "push";

    internal override YamlNode ToYaml() => Filters(Branches, Paths, PathsIgnore);

    internal static YamlMapping Filters(IReadOnlyList<string> branches, IReadOnlyList<string> paths, IReadOnlyList<string> pathsIgnore)
    {
        if (paths.Count > 0 && pathsIgnore.Count > 0)
            throw new ArgumentException("GitHub does not allow paths and paths-ignore on the same event; use '!' patterns in paths");
        return new YamlMapping()
            .AddIfAny("branches", YamlSequence.Of(branches))
            .AddIfAny("paths", YamlSequence.Of(paths))
            .AddIfAny("paths-ignore", YamlSequence.Of(pathsIgnore));
    }
}

public sealed record PullRequestTrigger(IReadOnlyList<string> Branches, IReadOnlyList<string> Paths, IReadOnlyList<string> PathsIgnore) : WorkflowTrigger
{
    internal override string EventName => "pull_request";

    internal override YamlNode ToYaml() => PushTrigger.Filters(Branches, Paths, PathsIgnore);
}

/// <summary>A manual run from the Actions tab or the API, with typed inputs.</summary>
public sealed record WorkflowDispatchTrigger(IReadOnlyList<WorkflowInput> Inputs) : WorkflowTrigger
{
    internal override string EventName => "workflow_dispatch";

    internal override YamlNode ToYaml()
    {
        var inputs = new YamlMapping();
        foreach (var input in Inputs)
            inputs.Add(input.Name, input.ToYaml());
        return new YamlMapping().AddIfAny("inputs", inputs);
    }
}

/// <summary>Runs on a schedule; each entry is a five-field cron expression in UTC.</summary>
public sealed record ScheduleTrigger(IReadOnlyList<string> Crons) : WorkflowTrigger
{
    internal override string EventName => "schedule";

    internal override YamlNode ToYaml()
    {
        var bad = Crons.FirstOrDefault(c => c.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length != 5);
        if (bad is not null)
            throw new ArgumentException($"'{bad}' is not a five-field cron expression (minute hour day month weekday)");
        return new YamlSequence(Crons.Select(c => (YamlNode)new YamlMapping().Add("cron", c)));
    }
}

public enum WorkflowInputType
{
    String,
    Boolean,
    Choice,
}

/// <summary>An input of a manual run; read in expressions as <c>inputs.NAME</c>.</summary>
public sealed record WorkflowInput(string Name, string Description, WorkflowInputType Type, bool Required, string? Default, IReadOnlyList<string> Options)
{
    public static WorkflowInput Choice(string name, string description, IReadOnlyList<string> options, string defaultValue)
    {
        if (!options.Contains(defaultValue))
            throw new ArgumentException($"the default '{defaultValue}' of input '{name}' is not one of its options: {string.Join(", ", options)}");
        return new(name, description, WorkflowInputType.Choice, Required: true, defaultValue, options);
    }

    public static WorkflowInput Boolean(string name, string description, bool defaultValue) =>
        new(name, description, WorkflowInputType.Boolean, Required: false, defaultValue ? "true" : "false", []);

    public static WorkflowInput Text(string name, string description, string? defaultValue = null, bool required = false) =>
        new(name, description, WorkflowInputType.String, required, defaultValue, []);

    internal YamlMapping ToYaml()
    {
        var input = new YamlMapping()
            .Add("description", Description)
            .Add("required", YamlScalar.Boolean(Required))
            .Add("type", Type.ToString().ToLowerInvariant());
        if (Default is not null)
            input.Add("default", Type == WorkflowInputType.Boolean ? new YamlScalar(Default, isVerbatim: true) : new YamlScalar(Default));
        return input.AddIfAny("options", YamlSequence.Of(Options));
    }
}
