using YamlDotNet.Serialization;

namespace Slipway.Engine.Tests.CI;

/// <summary>A generated workflow read back by a YAML parser, for structural assertions: its jobs, their steps, needs and settings.</summary>
internal sealed class GeneratedWorkflow
{
    private readonly Dictionary<object, object> document;

    public GeneratedWorkflow(string yaml) => document = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(yaml);

    public IReadOnlyDictionary<string, WorkflowJobView> Jobs =>
        Map(document["jobs"]).ToDictionary(j => (string)j.Key, j => new WorkflowJobView((string)j.Key, Map(j.Value)));

    public IReadOnlyDictionary<object, object>? Concurrency => document.TryGetValue("concurrency", out var c) ? Map(c) : null;

    internal static Dictionary<object, object> Map(object node) => (Dictionary<object, object>)node;

    internal static List<object> List(object node) => (List<object>)node;
}

internal sealed record WorkflowJobView(string Id, Dictionary<object, object> Yaml)
{
    public string? Environment => Yaml.TryGetValue("environment", out var e) ? (string)GeneratedWorkflow.Map(e)["name"] : null;

    public IReadOnlyList<string> Needs => Yaml.TryGetValue("needs", out var n) ? GeneratedWorkflow.List(n).Cast<string>().ToList() : [];

    public string? Condition => Yaml.TryGetValue("if", out var c) ? (string)c : null;

    public IReadOnlyDictionary<object, object>? Concurrency => Yaml.TryGetValue("concurrency", out var c) ? GeneratedWorkflow.Map(c) : null;

    public IReadOnlyList<Dictionary<object, object>> Steps => GeneratedWorkflow.List(Yaml["steps"]).Select(GeneratedWorkflow.Map).ToList();

    public IReadOnlyDictionary<string, string> Permissions =>
        Yaml.TryGetValue("permissions", out var p) ? GeneratedWorkflow.Map(p).ToDictionary(e => (string)e.Key, e => (string)e.Value) : new Dictionary<string, string>();

    /// <summary>The step that runs the build (./build.sh or .ci/run).</summary>
    public Dictionary<object, object> BuildStep => Steps.Single(s => s.TryGetValue("run", out var run) && ((string)run).StartsWith("./build.sh ", StringComparison.Ordinal) || s.TryGetValue("run", out var ci) && ((string)ci).StartsWith(".ci/run ", StringComparison.Ordinal));

    public string BuildCommand => (string)BuildStep["run"];

    public IReadOnlyDictionary<string, string> Env(Dictionary<object, object> step) =>
        step.TryGetValue("env", out var env) ? GeneratedWorkflow.Map(env).ToDictionary(e => (string)e.Key, e => (string)e.Value) : new Dictionary<string, string>();

    /// <summary>Every secret any step of the job reads.</summary>
    public IReadOnlyList<string> Secrets => Steps.SelectMany(s => Env(s).Values.Concat(With(s).Values))
        .SelectMany(v => System.Text.RegularExpressions.Regex.Matches(v, @"secrets\.([A-Z0-9_]+)").Select(m => m.Groups[1].Value))
        .Distinct().Order(StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> Uses => Steps.Where(s => s.ContainsKey("uses")).Select(s => (string)s["uses"]).ToList();

    public int IndexOf(Func<Dictionary<object, object>, bool> step) => Steps.ToList().FindIndex(s => step(s));

    public static IReadOnlyDictionary<string, string> With(Dictionary<object, object> step) =>
        step.TryGetValue("with", out var with) ? GeneratedWorkflow.Map(with).ToDictionary(e => (string)e.Key, e => (string)e.Value) : new Dictionary<string, string>();

    public static string Name(Dictionary<object, object> step) => (string)step["name"];
}
