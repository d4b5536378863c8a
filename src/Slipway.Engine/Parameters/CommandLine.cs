using Slipway.Spelling;

namespace Slipway.Engine;

/// <summary>
/// The parsed command line: <c>[targets...] [--option values...]</c>. <c>--option=value</c> gives exactly that
/// value; otherwise options that are not flags take the tokens after them; a scalar takes one and leaves the rest as targets, an array takes all up to the next option.
/// </summary>
internal sealed class CommandLine
{
    public List<string> Targets { get; } = [];

    /// <summary>Parameter values by normalized name, with the spelling the user typed.</summary>
    public Dictionary<string, (string Typed, List<string> Values)> Options { get; } = [];

    public bool Help { get; private set; }

    public bool Plan { get; private set; }

    public bool Verbose { get; private set; }

    /// <summary>--dry-run: targets that write do not run; those that print their plan run read-only.</summary>
    public bool DryRun { get; private set; }

    /// <summary>--generate-ci: rewrite the generated CI files and exit.</summary>
    public bool GenerateCi { get; private set; }

    /// <summary>Null when --skip was not given; empty when given alone (skip everything not invoked).</summary>
    public List<string>? Skip { get; private set; }

    public static CommandLine Parse(IReadOnlyList<string> args, IReadOnlyList<BuildParameter> parameters)
    {
        var line = new CommandLine();
        var byName = parameters.ToDictionary(p => ParameterName.Normalize(p.Name));
        var i = 0;
        while (i < args.Count)
        {
            var token = args[i++];
            if (!IsOption(token))
            {
                line.Targets.Add(token);
                continue;
            }

            var typed = token.TrimStart('-');
            string? inline = null;
            if (typed.IndexOf('=', StringComparison.Ordinal) is var equals and > 0)
                (typed, inline) = (typed[..equals], typed[(equals + 1)..]);
            switch (ParameterName.Normalize(typed))
            {
                case "help" or "h" or "?":
                    line.Help = true;
                    continue;
                case "plan":
                    line.Plan = true;
                    continue;
                case "verbose":
                    line.Verbose = true;
                    continue;
                case "dryrun":
                    line.DryRun = true;
                    continue;
                case "generateci":
                    line.GenerateCi = true;
                    continue;
                case "skip":
                    line.Skip ??= [];
                    while (i < args.Count && !IsOption(args[i]))
                        line.Skip.Add(args[i++]);
                    continue;
            }

            if (!byName.TryGetValue(ParameterName.Normalize(typed), out var parameter))
            {
                var suggestion = DidYouMean.Closest(typed, parameters.Select(p => p.CommandLineName).Concat(["help", "plan", "skip", "verbose", "generate-ci", "dry-run"]));
                throw new UsageException($"unknown parameter '--{typed}'." +
                    (suggestion is null ? "" : $" Did you mean '--{suggestion}'?") + " Run ./build.sh --help for the list.");
            }

            var values = new List<string>();
            if (inline is not null)
            {
                values.Add(inline);
            }
            else if (ValueConverter.IsFlag(parameter.Type))
            {
                if (i < args.Count && IsBoolText(args[i]))
                    values.Add(args[i++]);
            }
            else if (ValueConverter.IsArray(parameter.Type))
            {
                while (i < args.Count && !IsOption(args[i]))
                    values.Add(args[i++]);
            }
            else if (i < args.Count && !IsOption(args[i]))
            {
                values.Add(args[i++]);
            }
            else
            {
                throw new UsageException($"--{parameter.CommandLineName} needs a value ({ValueConverter.Describe(parameter.Type)})");
            }

            var key = ParameterName.Normalize(parameter.Name);
            if (line.Options.TryGetValue(key, out var existing))
                existing.Values.AddRange(values);
            else
                line.Options[key] = (typed, values);
        }

        return line;
    }

    private static bool IsOption(string token) => token.StartsWith('-') && token.Length > 1 && !char.IsDigit(token[1]);

    private static bool IsBoolText(string token) =>
        token.ToLowerInvariant() is "true" or "false" or "1" or "0" or "yes" or "no" or "on" or "off";
}
