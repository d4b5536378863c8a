using Slipway.Tools.Trivy;

namespace Slipway.Delivery.Scanning;

public enum FindingKind
{
    Vulnerability,
    Secret,
    Misconfiguration,
}

/// <summary>One finding of any kind, flattened from a Trivy report so a single policy can judge it.</summary>
public sealed record ScanFinding(
    FindingKind Kind,
    string Id,
    TrivySeverity Severity,
    string Target,
    string? Title,
    string? Package = null,
    string? InstalledVersion = null,
    string? FixedVersion = null,
    bool HasFix = true,
    string? AlternateId = null)
{
    // Trivy v0.50 wrote ID "DS002" with AVDID "AVD-DS-0002"; newer Trivy writes only "DS-0002". Deriving the AVD
    // form keeps .trivyignore files written for either version working.
    public static IEnumerable<ScanFinding> From(TrivyReport report) =>
        report.Results.SelectMany(result =>
            result.Vulnerabilities.Select(v => new ScanFinding(
                    FindingKind.Vulnerability, v.VulnerabilityId, v.Severity, result.Target, v.Title,
                    v.PkgName, v.InstalledVersion, v.FixedVersion, v.HasFix))
                .Concat(result.Secrets.Select(s => new ScanFinding(
                    FindingKind.Secret, s.RuleId, s.Severity, $"{result.Target}:{s.StartLine}", s.Title)))
                .Concat(result.Misconfigurations.Where(m => m.Failed).Select(m => new ScanFinding(
                    FindingKind.Misconfiguration, m.Id, m.Severity, result.Target, m.Title, AlternateId: m.AvdId ?? $"AVD-{m.Id}"))));

    /// <summary>One line for the failed-findings list under the table.</summary>
    public string Describe() => Kind switch
    {
        FindingKind.Vulnerability =>
            $"{Severity.Name(),-8}  {Id}  {Package} {InstalledVersion} ({(HasFix ? $"fixed in {FixedVersion}" : "no fix")})  {Title}",
        FindingKind.Secret => $"{Severity.Name(),-8}  secret {Id} in {Target}  {Title}",
        _ => $"{Severity.Name(),-8}  {Id}  {Target}  {Title}",
    };
}
