using System.Text.RegularExpressions;
using Slipway.Stack.Tests.Infrastructure;
using YamlDotNet.Serialization;

namespace Slipway.Stack.Tests.Compose;

/// <summary>The compose files in docker/compose and how the tests feed them.</summary>
public static partial class ComposeFiles
{
    public const string Base = "docker-compose.yml";

    public static string Directory { get; } = RepositoryRoot.Combine("docker", "compose");

    public static string EnvExample => Path.Combine(Directory, ".env.example");

    public static IReadOnlyList<string> Variants { get; } = ["dev", "test", "prod", "swarm"];

    public static IEnumerable<string> All => [Base, .. Variants.Select(VariantFile)];

    public static string VariantFile(string variant) => $"docker-compose.{variant}.yml";

    /// <summary>Names of every ${VAR} (with or without :-default / :?error) the compose files use.</summary>
    public static SortedSet<string> VariablesUsed() =>
        new(All.SelectMany(file => VariableReference().Matches(File.ReadAllText(Path.Combine(Directory, file))).Select(m => m.Groups[1].Value)), StringComparer.Ordinal);

    /// <summary>KEY=value lines of .env.example (comments and blank lines skipped).</summary>
    public static IReadOnlyDictionary<string, string> ReadEnvExample() =>
        File.ReadAllLines(EnvExample)
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('=', 2))
            .ToDictionary(parts => parts[0], parts => parts.Length == 2 ? parts[1] : "", StringComparer.Ordinal);

    /// <summary>.env.example with the required blanks filled, written to a temp file for --env-file.</summary>
    public static string WriteEnvFile(IReadOnlyDictionary<string, string?> overrides)
    {
        var values = ReadEnvExample().ToDictionary(p => p.Key, p => (string?)p.Value, StringComparer.Ordinal);
        values["API_IMAGE"] = "127.0.0.1:5000/slipway/api:config-test";
        values["POSTGRES_PASSWORD"] = "config-test-password";
        foreach (var (key, value) in overrides)
            values[key] = value;
        var path = Path.Combine(Path.GetTempPath(), $"slipway-compose-{Guid.NewGuid():N}.env");
        File.WriteAllLines(path, values.Where(p => p.Value is not null).Select(p => $"{p.Key}={p.Value}"));
        return path;
    }

    public static List<string> FileArguments(IEnumerable<string> variants) =>
        [.. new[] { Base }.Concat(variants.Select(VariantFile)).SelectMany(file => new[] { "-f", Path.Combine(Directory, file) })];

    /// <summary>`docker-compose config` for the base file plus <paramref name="variants"/>.</summary>
    public static async Task<CommandResult> ConfigAsync(IEnumerable<string> variants, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var envFile = WriteEnvFile(overrides ?? new Dictionary<string, string?>());
        try
        {
            return await Command.RunAsync("docker-compose", ["--env-file", envFile, .. FileArguments(variants), "config"], TimeSpan.FromSeconds(60), workingDirectory: Directory);
        }
        finally
        {
            File.Delete(envFile);
        }
    }

    public static YamlMap Parse(string yaml) => new(new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(yaml));

    [GeneratedRegex(@"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex VariableReference();
}

/// <summary>A YAML mapping from `docker-compose config`, navigable by key.</summary>
public sealed class YamlMap(IDictionary<object, object> values)
{
    public IEnumerable<string> Keys => values.Keys.Select(k => k.ToString()!);

    public bool Has(string key) => values.ContainsKey(key);

    public YamlMap Map(string key) =>
        values.TryGetValue(key, out var value) && value is IDictionary<object, object> map ? new YamlMap(map)
        : throw new Xunit.Sdk.XunitException($"'{key}' is not a mapping here (keys: {string.Join(", ", Keys)})");

    public YamlMap MapOrEmpty(string key) => Has(key) && values[key] is IDictionary<object, object> ? Map(key) : new YamlMap(new Dictionary<object, object>());

    public string? Scalar(string key) => values.TryGetValue(key, out var value) ? value?.ToString() : null;

    public bool Flag(string key) => bool.TryParse(Scalar(key), out var flag) && flag;

    public IReadOnlyList<object> List(string key) => values.TryGetValue(key, out var value) && value is IList<object> list ? [.. list] : [];
}
