namespace Slipway.Migrations;

/// <summary>
/// The first line an up script carries when the release before it keeps working on the schema it leaves (an expand
/// step: a new table, a nullable column): a rollback to that release may then run on this schema. The line is not
/// part of the checksum, so marking a migration after it was applied is not drift.
/// </summary>
public static class CompatibilityMarker
{
    public const string Line = "-- slipway: backward-compatible";

    private const string Prefix = "-- slipway:";

    public static bool IsOn(string upScript) => FirstLine(upScript).Trim() == Line;

    /// <summary>The script without its marker line: what the checksum covers.</summary>
    public static string Strip(string upScript) =>
        IsOn(upScript) ? upScript[(upScript.IndexOf('\n', StringComparison.Ordinal) is var end and >= 0 ? end + 1 : upScript.Length)..] : upScript;

    /// <summary>A first line that starts like a marker but is not one (a typo) would leave the migration unmarked without a word.</summary>
    /// <exception cref="MigrationException">The first line is "-- slipway: …" but not <see cref="Line"/>.</exception>
    public static void Validate(string file, string upScript)
    {
        var first = FirstLine(upScript).Trim();
        if (first.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) && first != Line)
            throw new MigrationException($"{file} line 1 is '{first}': the only marker is '{Line}'");
    }

    private static string FirstLine(string script) => script.Split('\n', 2)[0];
}
