namespace Slipway.Tools.Trivy;

/// <summary>Trivy's severity scale, lowest first so that comparisons read naturally.</summary>
public enum TrivySeverity
{
    Unknown = 0,
    Low = 1,
    Medium = 2,
    High = 3,
    Critical = 4,
}

public static class TrivySeverities
{
    /// <summary>Parses Trivy's upper-case severity names; anything unrecognised is Unknown, as Trivy itself does.</summary>
    public static TrivySeverity Parse(string? value) => value?.Trim().ToUpperInvariant() switch
    {
        "LOW" => TrivySeverity.Low,
        "MEDIUM" => TrivySeverity.Medium,
        "HIGH" => TrivySeverity.High,
        "CRITICAL" => TrivySeverity.Critical,
        _ => TrivySeverity.Unknown,
    };

    /// <summary>Parses a user-supplied severity name strictly (e.g. from --severity CRITICAL,HIGH).</summary>
    public static bool TryParseStrict(string value, out TrivySeverity severity)
    {
        severity = Parse(value);
        return severity != TrivySeverity.Unknown || string.Equals(value.Trim(), "UNKNOWN", StringComparison.OrdinalIgnoreCase);
    }

    public static string Name(this TrivySeverity severity) => severity.ToString().ToUpperInvariant();
}
