using System.Text.Json;
using System.Text.Json.Serialization;

namespace Slipway.Tools.Trivy;

/// <summary>
/// Trivy's JSON report (`--format json`). Schema version 2 is what every Trivy since v0.20 writes;
/// newer versions add ReportID, Fingerprint and Trivy.Version, which are optional here. Reports from
/// Trivy before v0.20 (a bare array of results, "schema 1") are read too.
/// </summary>
public sealed record TrivyReport
{
    public int SchemaVersion { get; init; }

    [JsonPropertyName("ReportID")]
    public string? ReportId { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public string? ArtifactName { get; init; }

    public string? ArtifactType { get; init; }

    public TrivyToolInfo? Trivy { get; init; }

    public IReadOnlyList<TrivyResult> Results { get; init; } = [];

    public IEnumerable<TrivyVulnerability> AllVulnerabilities => Results.SelectMany(r => r.Vulnerabilities);

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Parses a report; <paramref name="source"/> names it in error messages.</summary>
    public static TrivyReport Parse(string json, string source = "Trivy report")
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            var root = document.RootElement;
            switch (root.ValueKind)
            {
                case JsonValueKind.Array:
                    return new TrivyReport { SchemaVersion = 1, Results = Normalise(root.Deserialize<List<TrivyResult>>(Options)) };
                case JsonValueKind.Object:
                    var report = root.Deserialize<TrivyReport>(Options)
                        ?? throw new TrivyReportFormatException($"{source}: empty report");
                    if (report.SchemaVersion != 2)
                        throw new TrivyReportFormatException(
                            $"{source}: unsupported Trivy report SchemaVersion {report.SchemaVersion} (expected 2): upgrade Slipway or use a Trivy that writes schema 2");
                    return report with { Results = Normalise(report.Results) };
                default:
                    throw new TrivyReportFormatException($"{source}: not a Trivy JSON report (root is {root.ValueKind})");
            }
        }
        catch (JsonException e)
        {
            throw new TrivyReportFormatException($"{source}: not valid Trivy JSON ({e.Message})");
        }
    }

    public static TrivyReport Load(string path)
    {
        if (!File.Exists(path))
            throw new TrivyReportFormatException($"Trivy report {path} does not exist");
        return Parse(File.ReadAllText(path), path);
    }

    // Trivy writes `null` rather than `[]` for empty lists in some versions.
    private static List<TrivyResult> Normalise(IEnumerable<TrivyResult?>? results) =>
        (results ?? []).OfType<TrivyResult>().Select(r => r with
        {
            Vulnerabilities = r.Vulnerabilities ?? [],
            Misconfigurations = r.Misconfigurations ?? [],
            Secrets = r.Secrets ?? [],
        }).ToList();
}

public sealed record TrivyToolInfo
{
    public string? Version { get; init; }
}

/// <summary>One scanned target: an OS package set, a language lock file, a config file, a secret-bearing file.</summary>
public sealed record TrivyResult
{
    public string Target { get; init; } = "";

    public string? Class { get; init; }

    public string? Type { get; init; }

    public IReadOnlyList<TrivyVulnerability> Vulnerabilities { get; init; } = [];

    public IReadOnlyList<TrivyMisconfiguration> Misconfigurations { get; init; } = [];

    public IReadOnlyList<TrivySecret> Secrets { get; init; } = [];
}

public sealed record TrivyVulnerability
{
    [JsonPropertyName("VulnerabilityID")]
    public string VulnerabilityId { get; init; } = "";

    public string PkgName { get; init; } = "";

    public string? InstalledVersion { get; init; }

    public string? FixedVersion { get; init; }

    /// <summary>fixed, affected, will_not_fix, fix_deferred, end_of_life, ... (absent before Trivy v0.35).</summary>
    public string? Status { get; init; }

    [JsonPropertyName("Severity")]
    public string? SeverityName { get; init; }

    public string? Title { get; init; }

    public string? PrimaryUrl { get; init; }

    public string? Fingerprint { get; init; }

    [JsonIgnore]
    public TrivySeverity Severity => TrivySeverities.Parse(SeverityName);

    /// <summary>Whether a fixed version exists; reports without Status only have FixedVersion to go by.</summary>
    [JsonIgnore]
    public bool HasFix => !string.IsNullOrWhiteSpace(FixedVersion)
        && (Status is null || string.Equals(Status, "fixed", StringComparison.OrdinalIgnoreCase));
}

public sealed record TrivyMisconfiguration
{
    public string? Type { get; init; }

    [JsonPropertyName("ID")]
    public string Id { get; init; } = "";

    /// <summary>The AVD identifier (e.g. AVD-DS-0002) older Trivy writes beside the short ID.</summary>
    [JsonPropertyName("AVDID")]
    public string? AvdId { get; init; }

    public string? Title { get; init; }

    public string? Message { get; init; }

    [JsonPropertyName("Severity")]
    public string? SeverityName { get; init; }

    /// <summary>FAIL, PASS or EXCEPTION.</summary>
    public string? Status { get; init; }

    [JsonIgnore]
    public TrivySeverity Severity => TrivySeverities.Parse(SeverityName);

    [JsonIgnore]
    public bool Failed => Status is null || string.Equals(Status, "FAIL", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A secret found in a file. The matched text is deliberately not modelled, so it can never be printed.</summary>
public sealed record TrivySecret
{
    [JsonPropertyName("RuleID")]
    public string RuleId { get; init; } = "";

    public string? Category { get; init; }

    public string? Title { get; init; }

    public int StartLine { get; init; }

    public int EndLine { get; init; }

    [JsonPropertyName("Severity")]
    public string? SeverityName { get; init; }

    [JsonIgnore]
    public TrivySeverity Severity => TrivySeverities.Parse(SeverityName);
}

/// <summary>A Trivy report that cannot be read.</summary>
public sealed class TrivyReportFormatException(string message) : Exception(message);
