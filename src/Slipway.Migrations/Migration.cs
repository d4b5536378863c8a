using System.Security.Cryptography;
using System.Text;

namespace Slipway.Migrations;

/// <summary>One versioned migration from the folder: NNNN_name.up.sql and, optionally, NNNN_name.down.sql.</summary>
public sealed record Migration(long Version, string Name, string UpPath, string UpScript, string? DownPath, string? DownScript)
{
    /// <summary>0002_add_credits: how logs and messages name the migration.</summary>
    public string Id => $"{Version:D4}_{Name}";

    public string UpFile => Path.GetFileName(UpPath);

    public string DownFile => $"{Id}.down.sql";

    public bool HasDown => DownScript is not null;

    /// <summary>
    /// sha256 of the up script with line endings normalised, so a CRLF checkout does not read as drift, and without
    /// its <see cref="CompatibilityMarker"/> line, so marking an applied migration is not drift either.
    /// </summary>
    public string Checksum { get; } = ChecksumOf(CompatibilityMarker.Strip(UpScript));

    /// <summary>The release before this migration keeps working on the schema it leaves (the script's first line says so).</summary>
    public bool BackwardCompatible { get; } = CompatibilityMarker.IsOn(UpScript);

    public static string ChecksumOf(string script) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(script.ReplaceLineEndings("\n"))));

    // The scripts are long and appear in the plan; keep printed records readable.
    public override string ToString() => Id;
}
