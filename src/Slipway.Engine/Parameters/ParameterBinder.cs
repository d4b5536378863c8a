using Slipway.Spelling;
using System.Collections;
using System.Text.Json;

namespace Slipway.Engine;

/// <summary>
/// Gives each parameter its value. Precedence, lowest first: the declared default,
/// <c>.nuke/parameters.json</c>, <c>.nuke/parameters.&lt;environment&gt;.json</c>, the environment variable
/// (<c>UPPER_SNAKE_CASE</c>, or the one the parameter names), the command line (<c>--kebab-case</c>).
/// </summary>
internal sealed class ParameterBinder(
    AbsolutePath rootDirectory,
    IReadOnlyList<BuildParameter> parameters,
    IDictionary environmentVariables)
{
    /// <summary>The parameter whose value picks the per-environment file.</summary>
    public const string EnvironmentParameter = "environment";

    public static AbsolutePath ParametersFile(AbsolutePath root, string? environment = null) =>
        root / ".nuke" / (environment is null ? "parameters.json" : $"parameters.{environment}.json");

    /// <summary>
    /// Hands every text given for a [Secret] parameter, on the command line or in its environment variable, to the
    /// masker before anything converts or checks it: an error about a repeated or malformed value shows <c>****</c>.
    /// </summary>
    public void MaskSecrets(CommandLine commandLine, SecretMasker masker)
    {
        foreach (var secret in parameters.Where(p => p.IsSecret))
        {
            var texts = commandLine.Options.TryGetValue(ParameterName.Normalize(secret.Name), out var given) ? given.Values : [];
            if (environmentVariables[secret.EnvironmentVariable] is string variable)
                texts = [.. texts, variable];
            foreach (var text in texts)
            {
                masker.Add(text);
                // An array's text is split at commas and each item converted (and reported) alone.
                foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    masker.Add(item);
            }
        }
    }

    public void Bind(object build, CommandLine commandLine)
    {
        var general = ReadFile(ParametersFile(rootDirectory));
        var environment = parameters.FirstOrDefault(p => ParameterName.Normalize(p.Name) == EnvironmentParameter);
        var perEnvironment = new Dictionary<string, (string Key, List<string> Values)>();
        if (environment is not null)
        {
            Apply(build, environment, general, commandLine);
            var name = environment.Display(build);
            if (name.Length > 0)
                perEnvironment = ReadFile(ParametersFile(rootDirectory, name));
        }

        foreach (var parameter in parameters.Where(p => p != environment))
            Apply(build, parameter, general, commandLine, perEnvironment);
    }

    private void Apply(
        object build,
        BuildParameter parameter,
        Dictionary<string, (string Key, List<string> Values)> general,
        CommandLine commandLine,
        Dictionary<string, (string Key, List<string> Values)>? perEnvironment = null)
    {
        var key = ParameterName.Normalize(parameter.Name);
        (List<string> Values, string Source)? chosen = null;
        if (general.TryGetValue(key, out var fromFile))
            chosen = (fromFile.Values, ".nuke/parameters.json");
        if (perEnvironment is not null && perEnvironment.TryGetValue(key, out var fromEnvironmentFile))
            chosen = (fromEnvironmentFile.Values, $".nuke/{ParametersFileName(build)}");
        if (environmentVariables[parameter.EnvironmentVariable] is string variable && variable.Length > 0)
            chosen = ([variable], $"${parameter.EnvironmentVariable}");
        if (commandLine.Options.TryGetValue(key, out var fromCommandLine))
            chosen = (fromCommandLine.Values, "command line");
        if (chosen is not { } value)
            return;

        if (parameter.IsSecret && value.Source.StartsWith(".nuke/", StringComparison.Ordinal))
            throw new UsageException($"secret parameter {parameter.Name} must not be stored in {value.Source}: " +
                $"pass it as ${parameter.EnvironmentVariable} or --{parameter.CommandLineName}");
        parameter.SetValue(build, ValueConverter.Convert(value.Values, parameter.Type, parameter.CommandLineName, rootDirectory));
        parameter.Source = value.Source;
    }

    private string ParametersFileName(object build)
    {
        var environment = parameters.First(p => ParameterName.Normalize(p.Name) == EnvironmentParameter);
        return $"parameters.{environment.Display(build)}.json";
    }

    private Dictionary<string, (string Key, List<string> Values)> ReadFile(AbsolutePath file)
    {
        var result = new Dictionary<string, (string, List<string>)>();
        if (!File.Exists(file))
            return result;
        var relative = file.RelativeTo(rootDirectory);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new UsageException($"{relative} is not valid JSON (line {e.LineNumber + 1}): fix or delete it");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new UsageException($"{relative} must hold a JSON object of parameter names and values");
            var known = parameters.Select(p => ParameterName.Normalize(p.Name)).ToHashSet();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name.StartsWith('$'))
                    continue;
                var key = ParameterName.Normalize(property.Name);
                if (!known.Contains(key))
                {
                    var suggestion = DidYouMean.Closest(property.Name, parameters.Select(p => p.Name));
                    throw new UsageException($"unknown parameter '{property.Name}' in {relative}." +
                        (suggestion is null ? "" : $" Did you mean '{suggestion}'?"));
                }

                if (property.Value.ValueKind == JsonValueKind.Null)
                    continue;
                result[key] = (property.Name, Texts(property.Value).ToList());
            }
        }

        return result;
    }

    private static IEnumerable<string> Texts(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Array => value.EnumerateArray().SelectMany(Texts),
        JsonValueKind.String => [value.GetString()!],
        JsonValueKind.True => ["true"],
        JsonValueKind.False => ["false"],
        _ => [value.GetRawText()],
    };
}
