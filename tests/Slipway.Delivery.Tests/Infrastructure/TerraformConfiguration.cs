using System.Text.Json;
using System.Text.RegularExpressions;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.Infrastructure;

/// <summary>A fact that needs node and HashiCorp's HCL parser (docker/scripts/install.sh test); it fails instead of skipping on CI.</summary>
public sealed class HclParserFactAttribute : RealServerFactAttribute
{
    public HclParserFactAttribute() =>
        Needs(NodeTools.Installed(HclParser.Package),
            "@cdktf/hcl2json and node", "run docker/scripts/install.sh test");
}

/// <summary>One HCL file as the parser saw it: its JSON form, or the parser's diagnostics.</summary>
public sealed record HclFile(string RelativePath, JsonElement? Body, string? Error);

/// <summary>
/// @cdktf/hcl2json: HashiCorp's hcl/v2 parser compiled to wasm, which turns each file into Terraform's JSON
/// configuration syntax (blocks become arrays of objects, expressions "${…}" strings).
/// </summary>
public static class HclParser
{
    public const string Package = "@cdktf/hcl2json";

    public static string Module => NodeTools.Path(Package);

    // Sequential: the wasm module is loaded once and parses one file at a time. Diagnostics name the file and line.
    private const string Script = """
        const hcl = require(process.argv[1]);
        const fs = require("fs");
        (async () => {
          const parsed = {};
          for (const file of process.argv.slice(2)) {
            try { parsed[file] = { body: await hcl.parse(file, fs.readFileSync(file, "utf8")) }; }
            catch (e) { parsed[file] = { error: String(e && e.message ? e.message : e) }; }
          }
          process.stdout.write(JSON.stringify(parsed));
        })();
        """;

    /// <summary>Parses the files (paths relative to <paramref name="root"/>, as diagnostics will name them).</summary>
    public static IReadOnlyList<HclFile> Parse(string root, IReadOnlyList<string> relativePaths)
    {
        var (exit, stdout, stderr) = NodeTools.Run(root, ["-e", Script, Module, .. relativePaths], "the HCL parser");
        if (exit != 0)
            throw new InvalidOperationException($"node exited {exit}: {stderr}");

        using var document = JsonDocument.Parse(stdout);
        return relativePaths.Select(path =>
        {
            var result = document.RootElement.GetProperty(path);
            return result.TryGetProperty("body", out var body)
                ? new HclFile(path, body.Clone(), null)
                : new HclFile(path, null, Diagnostics(result.GetProperty("error").GetString()!));
        }).ToList();
    }

    /// <summary>"parse config: [a.tf:6,7-7,1: Invalid expression; …]" → "a.tf:6:7: Invalid expression; …", one line per diagnostic.</summary>
    private static string Diagnostics(string error)
    {
        var text = Regex.Replace(error, @"^(Error: )?parse config: \[(.*)\]$", "$2", RegexOptions.Singleline);
        return Regex.Replace(text, @"(?<file>[^\s\[,]+):(?<line>\d+),(?<column>\d+)-\d+(,\d+)?: ", "${file}:${line}:${column}: ");
    }
}

/// <summary>The Terraform configuration of build/terraform, parsed: blocks by kind, and every expression in it.</summary>
public sealed class TerraformConfiguration
{
    public const string Folder = "build/terraform";

    private TerraformConfiguration(IReadOnlyList<HclFile> files) => Files = files;

    public IReadOnlyList<HclFile> Files { get; }

    public IEnumerable<HclFile> TerraformFiles => Files.Where(f => f.RelativePath.EndsWith(".tf", StringComparison.Ordinal));

    public IEnumerable<HclFile> VariableFiles => Files.Where(f => f.RelativePath.EndsWith(".tfvars", StringComparison.Ordinal));

    /// <summary>Every .tf, .tfvars and .tfbackend file of the folder, parsed in one run of the parser.</summary>
    public static TerraformConfiguration Load(string root, string folder = Folder)
    {
        var paths = Directory.EnumerateFiles(Path.Combine(root, folder), "*", SearchOption.AllDirectories)
            .Where(p => p.EndsWith(".tf", StringComparison.Ordinal) || p.EndsWith(".tfvars", StringComparison.Ordinal) || p.EndsWith(".tfbackend", StringComparison.Ordinal))
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}.terraform{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(p => Path.GetRelativePath(root, p).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
        return new TerraformConfiguration(HclParser.Parse(root, paths));
    }

    /// <summary>The labelled blocks of one kind ("variable", "output", "locals" has none) across the .tf files, by label.</summary>
    public IReadOnlyDictionary<string, JsonElement> Blocks(string kind) =>
        TerraformFiles.Where(f => f.Body is { } body && body.TryGetProperty(kind, out _))
            .SelectMany(f => f.Body!.Value.GetProperty(kind).EnumerateObject())
            .ToDictionary(p => p.Name, p => p.Value[0], StringComparer.Ordinal);

    /// <summary>Resources (or data sources) as "type.name" → body.</summary>
    public IReadOnlyDictionary<string, JsonElement> Resources(string kind = "resource") =>
        TerraformFiles.Where(f => f.Body is { } body && body.TryGetProperty(kind, out _))
            .SelectMany(f => f.Body!.Value.GetProperty(kind).EnumerateObject())
            .SelectMany(type => type.Value.EnumerateObject().Select(name => (Key: $"{type.Name}.{name.Name}", Body: name.Value[0])))
            .ToDictionary(r => r.Key, r => r.Body, StringComparer.Ordinal);

    public IReadOnlySet<string> Locals =>
        TerraformFiles.Where(f => f.Body is { } body && body.TryGetProperty("locals", out _))
            .SelectMany(f => f.Body!.Value.GetProperty("locals").EnumerateArray())
            .SelectMany(block => block.EnumerateObject().Select(p => p.Name))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>Every string of a .tf file that holds an expression ("${…}"), with the file it is in.</summary>
    public IEnumerable<(string File, string Expression)> Expressions() =>
        TerraformFiles.Where(f => f.Body is not null)
            .SelectMany(f => Strings(f.Body!.Value).Where(s => s.Contains("${", StringComparison.Ordinal)).Select(s => (f.RelativePath, s)));

    private static IEnumerable<string> Strings(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Array => element.EnumerateArray().SelectMany(Strings),
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Strings(p.Value)),
        _ => [],
    };
}
