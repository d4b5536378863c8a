using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Slipway.Delivery.Tests.Workflows.Simulator;

/// <summary>What the status functions see: the job's (or, for a job's <c>if</c>, its needs') outcome so far.</summary>
/// <summary>For a job's <c>if</c>, NeedsSkipped: a need was skipped, so success() is false but failure() is too.</summary>
internal sealed record RunStatus(bool Failed, bool Cancelled, bool NeedsSkipped = false)
{
    public bool Success => !Failed && !Cancelled && !NeedsSkipped;
}

/// <summary>
/// The contexts an expression may read (github, inputs, secrets, vars, needs, env, runner, job, steps, matrix...) and the
/// functions it may call. Every secret an expression reads is recorded, so a test can say which secrets reached which job.
/// </summary>
internal sealed class ExpressionScope(IReadOnlyDictionary<string, object?> contexts, RunStatus status, string? workspace)
{
    public RunStatus Status { get; } = status;

    public ISet<string> SecretsRead { get; } = new SortedSet<string>(StringComparer.Ordinal);

    public object? Context(string name)
    {
        if (!contexts.TryGetValue(name, out var value))
            throw new WorkflowSimulationException($"expression context '{name}' is not available here (the simulator knows: {string.Join(", ", contexts.Keys.Order(StringComparer.Ordinal))})");
        return name == "secrets" && value is IReadOnlyDictionary<string, object?> secrets ? new RecordingMap(secrets, SecretsRead) : value;
    }

    public object? Call(string name, IReadOnlyList<object?> arguments)
    {
        switch (name.ToLowerInvariant())
        {
            case "always": return true;
            case "success": return Status.Success;
            case "failure": return Status.Failed;
            case "cancelled": return Status.Cancelled;
            case "contains":
                Arity(name, arguments, 2);
                return arguments[0] is IReadOnlyList<object?> list
                    ? list.Any(item => WorkflowExpression.ToText(item).Equals(WorkflowExpression.ToText(arguments[1]), StringComparison.OrdinalIgnoreCase))
                    : WorkflowExpression.ToText(arguments[0]).Contains(WorkflowExpression.ToText(arguments[1]), StringComparison.OrdinalIgnoreCase);
            case "startswith":
                Arity(name, arguments, 2);
                return WorkflowExpression.ToText(arguments[0]).StartsWith(WorkflowExpression.ToText(arguments[1]), StringComparison.OrdinalIgnoreCase);
            case "endswith":
                Arity(name, arguments, 2);
                return WorkflowExpression.ToText(arguments[0]).EndsWith(WorkflowExpression.ToText(arguments[1]), StringComparison.OrdinalIgnoreCase);
            case "format":
                return string.Format(CultureInfo.InvariantCulture, WorkflowExpression.ToText(arguments[0]), [.. arguments.Skip(1).Select(WorkflowExpression.ToText)]);
            case "join":
                return arguments[0] is IReadOnlyList<object?> items
                    ? string.Join(arguments.Count > 1 ? WorkflowExpression.ToText(arguments[1]) : ",", items.Select(WorkflowExpression.ToText))
                    : WorkflowExpression.ToText(arguments[0]);
            case "tojson":
                Arity(name, arguments, 1);
                return WorkflowExpression.ToJson(arguments[0]);
            case "fromjson":
                Arity(name, arguments, 1);
                return WorkflowExpression.FromJson(JsonNode.Parse(WorkflowExpression.ToText(arguments[0])));
            case "hashfiles":
                return HashFiles(arguments.Select(WorkflowExpression.ToText).ToList());
            default:
                throw new WorkflowSimulationException($"expression function '{name}' is not emulated by the workflow simulator");
        }
    }

    /// <summary>
    /// As the runner's hashFiles: the files under GITHUB_WORKSPACE matching the patterns (a leading ! excludes), each
    /// hashed with SHA-256, those hashes hashed in path order; '' when nothing matches.
    /// </summary>
    private string HashFiles(IReadOnlyList<string> patterns)
    {
        if (workspace is null)
            throw new WorkflowSimulationException("hashFiles() is only available in a job's steps");
        var included = patterns.Where(p => !p.StartsWith('!')).Select(Glob.ToRegex).ToList();
        var excluded = patterns.Where(p => p.StartsWith('!')).Select(p => Glob.ToRegex(p[1..])).ToList();
        var files = Directory.EnumerateFiles(workspace, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(workspace, f))
            .Where(f => !f.StartsWith(".git/", StringComparison.Ordinal))
            .Where(f => included.Any(r => r.IsMatch(f)) && !excluded.Any(r => r.IsMatch(f)))
            .Order(StringComparer.Ordinal)
            .Select(f => Path.Combine(workspace, f))
            .ToList();
        if (files.Count == 0)
            return "";
        using var all = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
            all.AppendData(SHA256.HashData(File.ReadAllBytes(file)));
        return Convert.ToHexStringLower(all.GetHashAndReset());
    }

    private static void Arity(string name, IReadOnlyList<object?> arguments, int count)
    {
        if (arguments.Count != count)
            throw new WorkflowSimulationException($"{name}() takes {count} argument(s), got {arguments.Count}");
    }

    /// <summary>The secrets context, noting each name read that has a value.</summary>
    private sealed class RecordingMap(IReadOnlyDictionary<string, object?> inner, ISet<string> read) : IReadOnlyDictionary<string, object?>
    {
        public object? this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

        public IEnumerable<string> Keys => inner.Keys;

        public IEnumerable<object?> Values => inner.Values;

        public int Count => inner.Count;

        public bool ContainsKey(string key) => inner.ContainsKey(key);

        public bool TryGetValue(string key, out object? value)
        {
            if (!inner.TryGetValue(key, out value))
                return false;
            read.Add(key);
            return true;
        }

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => inner.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>The workflow cannot run as written, or uses something the simulator does not emulate: the run fails, naming it.</summary>
internal sealed class WorkflowSimulationException(string message) : Exception(message);
