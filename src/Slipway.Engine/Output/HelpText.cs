namespace Slipway.Engine;

/// <summary>What <c>./build.sh --help</c> prints: usage, targets with their dependencies, parameters.</summary>
internal static class HelpText
{
    public static void Write(TextWriter writer, TargetGraph graph, IReadOnlyList<BuildParameter> parameters, IReadOnlyList<ExecutableTarget> defaults, object build)
    {
        writer.WriteLine("Usage: ./build.sh [targets...] [--parameter value...]");
        writer.WriteLine("       ./build.sh --plan [targets...]     print what would run, in order, and run nothing");
        writer.WriteLine("       ./build.sh --skip [targets...]     skip the named targets, or all not invoked");
        var planners = graph.Targets.Where(t => t.Definition.WhenDry == DryRunBehavior.PrintPlan).Select(t => t.Name).ToList();
        writer.WriteLine("       ./build.sh --dry-run [targets...]  run nothing that writes" +
            (planners.Count == 0 ? "" : $"; {string.Join(", ", planners)} print what they would do"));
        writer.WriteLine("       ./build.sh --generate-ci           rewrite .github/workflows from the build definition");
        writer.WriteLine();
        writer.WriteLine("Targets:");
        var listed = graph.Targets.Where(t => t.IsListed).ToList();
        var nameWidth = listed.Count == 0 ? 0 : listed.Max(t => t.Name.Length + (defaults.Contains(t) ? 10 : 0)) + 2;
        foreach (var target in listed)
        {
            var name = defaults.Contains(target) ? $"{target.Name} (default)" : target.Name;
            var dependencies = target.Dependencies.Count == 0 ? "" : $"  ← {string.Join(", ", target.Dependencies.Select(d => d.Name))}";
            writer.WriteLine($"  {name.PadRight(nameWidth)}{target.Description}{dependencies}");
        }

        writer.WriteLine();
        writer.WriteLine("Parameters (command line --name, environment NAME, or .nuke/parameters[.<environment>].json):");
        var rows = parameters
            .OrderBy(p => p.CommandLineName, StringComparer.Ordinal)
            .Select(p => (
                Name: $"--{p.CommandLineName} <{ValueConverter.Describe(p.Type)}>",
                Detail: p.Description +
                    (p.IsSecret ? " (secret)" : "") +
                    (!p.IsSecret && p.Display(build) is { Length: > 0 } value ? $" [default: {value}]" : "")))
            .ToList();
        var width = rows.Count == 0 ? 0 : rows.Max(r => r.Name.Length) + 2;
        foreach (var (name, detail) in rows)
            writer.WriteLine($"  {name.PadRight(width)}{detail}");
        writer.WriteLine();
        writer.WriteLine("Options: --help, --plan, --skip [targets], --dry-run, --generate-ci, --verbose");
        writer.WriteLine("Exit codes: 0 success, 1 a target failed, 2 usage or configuration error.");
    }
}
