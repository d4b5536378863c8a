using System.Globalization;

namespace Slipway.Migrations;

/// <summary>
/// <c>migrate [--to VERSION] [--require-extension NAME]... [--applied-by WHO]</c>: what an app image runs as a
/// deploy's release phase (<c>dotnet Api.dll migrate</c>). Migrates the database of DATABASE_URL with the
/// migrations shipped next to the app, printing the migrator's lines (one per applied migration) and, last,
/// the <see cref="SchemaVersionLine"/>. A failure is one line on stderr and a non-zero exit code.
/// </summary>
public static class MigrateCommand
{
    public const string Name = "migrate";

    public const string DatabaseUrlVariable = "DATABASE_URL";

    /// <summary>A migration, the database or the migrations folder failed.</summary>
    public const int Failed = 1;

    /// <summary>Bad arguments, or DATABASE_URL missing or malformed: nothing was attempted.</summary>
    public const int UsageError = 2;

    private const string Usage = "usage: migrate [--to VERSION] [--require-extension NAME]... [--applied-by WHO]";

    public static async Task<int> RunAsync(
        IReadOnlyList<string> arguments,
        Func<string, string?> environment,
        string migrationsDirectory,
        TextWriter output,
        TextWriter error,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var (request, problem) = Parse(arguments);
        if (request is null)
        {
            await error.WriteLineAsync($"migrate: {problem}; {Usage}").ConfigureAwait(false);
            return UsageError;
        }

        if (environment(DatabaseUrlVariable) is not { Length: > 0 } url)
        {
            await error.WriteLineAsync($"migrate: {DatabaseUrlVariable} is not set; expected postgres://user:password@host:port/database").ConfigureAwait(false);
            return UsageError;
        }

        try
        {
            DatabaseUrl.Parse(url);
        }
        catch (DatabaseUrlException e)
        {
            await error.WriteLineAsync($"migrate: {DatabaseUrlVariable}: {e.Message}").ConfigureAwait(false);
            return UsageError;
        }

        var options = MigrationOptions.Default with { RequiredExtensions = request.RequiredExtensions };
        if (request.AppliedBy is { } appliedBy)
            options = options with { AppliedBy = appliedBy };
        try
        {
            var plan = await Migrator.PlanAsync(url, migrationsDirectory, request.TargetVersion, options, cancellationToken).ConfigureAwait(false);
            var result = await Migrator.ApplyAsync(plan, line => output.WriteLine(line), cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(SchemaVersionLine.Format(result.FinalVersion)).ConfigureAwait(false);
            return 0;
        }
        catch (MigrationException e)
        {
            await error.WriteLineAsync($"migrate failed: {e.Message.ReplaceLineEndings(" ")}").ConfigureAwait(false);
            return Failed;
        }
    }

    private sealed record Request(long? TargetVersion, IReadOnlyList<string> RequiredExtensions, string? AppliedBy);

    private static (Request? Request, string? Problem) Parse(IReadOnlyList<string> arguments)
    {
        long? target = null;
        string? appliedBy = null;
        var extensions = new List<string>();
        for (var i = 0; i < arguments.Count; i++)
        {
            var name = arguments[i];
            if (name is not ("--to" or "--require-extension" or "--applied-by"))
                return (null, $"unknown argument '{name}'");
            if (i + 1 >= arguments.Count || arguments[i + 1].Length == 0)
                return (null, $"{name} needs a value");
            var value = arguments[++i];
            switch (name)
            {
                case "--to" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var version):
                    target = version;
                    break;
                case "--to":
                    return (null, $"--to '{value}' is not a schema version (0 or a positive whole number)");
                case "--require-extension":
                    extensions.Add(value);
                    break;
                default:
                    appliedBy = value;
                    break;
            }
        }

        return (new Request(target, extensions, appliedBy), null);
    }
}
