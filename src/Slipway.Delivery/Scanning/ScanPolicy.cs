using Slipway.Tools.Trivy;

namespace Slipway.Delivery.Scanning;

/// <summary>
/// Which findings fail the build: those at a gated severity (default CRITICAL,HIGH) that are not ignored by
/// .trivyignore (unexpired entries only) and, with <see cref="IgnoreUnfixed"/>, that have a fix available.
/// </summary>
public sealed record ScanPolicy
{
    public static IReadOnlySet<TrivySeverity> DefaultGate { get; } = new HashSet<TrivySeverity> { TrivySeverity.Critical, TrivySeverity.High };

    public IReadOnlySet<TrivySeverity> Gate { get; init; } = DefaultGate;

    public bool IgnoreUnfixed { get; init; }

    public TrivyIgnoreFile Ignores { get; init; } = TrivyIgnoreFile.Empty;

    /// <summary>Parses a severity list as Trivy's --severity takes it, e.g. "CRITICAL,HIGH".</summary>
    public static IReadOnlySet<TrivySeverity> ParseGate(string severities)
    {
        var gate = new HashSet<TrivySeverity>();
        foreach (var name in severities.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TrivySeverities.TryParseStrict(name, out var severity))
                throw new DeliveryException($"unknown severity '{name}' in '{severities}': use UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL", DeliveryFailure.Usage);
            gate.Add(severity);
        }

        return gate.Count > 0 ? gate : throw new DeliveryException("the severity gate is empty: give at least one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL", DeliveryFailure.Usage);
    }

    public ImageScanResult Evaluate(string image, TrivyReport report, DateOnly today)
    {
        var counted = new List<ScanFinding>();
        var ignored = 0;
        foreach (var finding in ScanFinding.From(report))
        {
            if ((IgnoreUnfixed && finding.Kind == FindingKind.Vulnerability && !finding.HasFix)
                || Ignores.Match(today, finding.Id, finding.AlternateId) is not null)
                ignored++;
            else
                counted.Add(finding);
        }

        var counts = Enum.GetValues<TrivySeverity>().ToDictionary(s => s, s => counted.Count(f => f.Severity == s));
        var failed = counted.Where(f => Gate.Contains(f.Severity)).OrderByDescending(f => f.Severity).ThenBy(f => f.Id, StringComparer.Ordinal).ToList();
        return new ImageScanResult(image, counts, ignored, failed);
    }
}

/// <summary>The verdict for one image: counts by severity (after ignores), how many were ignored, and what failed the gate.</summary>
public sealed record ImageScanResult(
    string Image,
    IReadOnlyDictionary<TrivySeverity, int> Counts,
    int Ignored,
    IReadOnlyList<ScanFinding> Failed)
{
    public bool Passed => Failed.Count == 0;

    public string? JsonReport { get; init; }

    public string? SarifReport { get; init; }
}
