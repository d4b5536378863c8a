using System.Globalization;

namespace Slipway.Migrations;

/// <summary>
/// "schema version 3": the last line <see cref="MigrateCommand"/> prints when it succeeds, and what a deploy
/// reads from its release phase's output to record the schema version in the ledger.
/// </summary>
public static class SchemaVersionLine
{
    private const string Prefix = "schema version ";

    public static string Format(long version) => Prefix + version.ToString(CultureInfo.InvariantCulture);

    /// <summary>The version of the last such line in <paramref name="output"/>; null when there is none.</summary>
    public static long? Find(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        long? found = null;
        foreach (var line in output.Split('\n'))
        {
            var text = line.Trim();
            if (text.StartsWith(Prefix, StringComparison.Ordinal)
                && long.TryParse(text.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
                found = version;
        }

        return found;
    }
}
