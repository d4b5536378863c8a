using System.Text.RegularExpressions;
using Slipway.Delivery.Environments;
using Slipway.Tools.Trivy;

namespace Slipway.Delivery.Scanning;

/// <summary>An image saved to a tarball (docker save), ready for Trivy.</summary>
public sealed record ImageToScan(string Image, string Tarball);

/// <summary>The outcome of ScanImages: per-image verdicts, or skipped (with why) when Trivy is optional and absent.</summary>
public sealed record ScanImagesResult(IReadOnlyList<ImageScanResult> Images, string? SkippedBecause = null)
{
    public bool Skipped => SkippedBecause is not null;

    public bool Passed => Images.All(i => i.Passed);

    public IReadOnlyList<string> Table => ScanTable.Render(Images);

    /// <summary>Throws a one-line build failure naming the images that failed the gate.</summary>
    public void EnsurePassed(IReadOnlySet<TrivySeverity> gate)
    {
        var failed = Images.Where(i => !i.Passed).ToList();
        if (failed.Count == 0)
            return;
        var names = string.Join(", ", failed.Select(i => $"{i.Image} ({i.Failed.Count})"));
        var severities = string.Join(",", gate.OrderDescending().Select(s => s.Name()));
        throw new DeliveryException(
            $"image scan gate ({severities}) failed for {failed.Count} of {Images.Count} image(s): {names}; fix them or add reviewed IDs with exp: dates to .trivyignore");
    }
}

/// <summary>ScanImages: runs Trivy on every saved image and judges each report with the scan policy.</summary>
public sealed partial class ImageScanning(TrivyScanner scanner)
{
    public async Task<ScanImagesResult> ScanAsync(
        IReadOnlyList<ImageToScan> images,
        ScanPolicy policy,
        TrivyRequirement requirement,
        string reportDirectory,
        DateOnly today,
        Action<string> log,
        CancellationToken cancellationToken)
    {
        if (scanner.Locate() is null)
        {
            var missing = new TrivyNotFoundException(scanner.Executable);
            if (requirement == TrivyRequirement.Required)
                throw new DeliveryException(missing.Message, inner: missing);
            log($"warning: {missing.Message}; image scanning skipped (allowed on this machine only: {EnvironmentNames.OnThisMachine})");
            return new ScanImagesResult([], SkippedBecause: "trivy not installed");
        }

        foreach (var expired in policy.Ignores.ExpiredOn(today))
            log($"{policy.Ignores.Source}:{expired.Line}: ignore of {expired.Id} expired on {expired.ExpiresOn:yyyy-MM-dd}; it counts again");

        var results = new List<ImageScanResult>();
        foreach (var image in images)
        {
            log($"scanning {image.Image}");
            TrivyScan scan;
            try
            {
                scan = await scanner.ScanImageTarballAsync(image.Tarball, reportDirectory, ReportName(image.Image), log, cancellationToken);
            }
            catch (Exception e) when (e is TrivyScanFailedException or TrivyReportFormatException)
            {
                throw new DeliveryException($"scanning {image.Image}: {e.Message}", inner: e);
            }

            var result = policy.Evaluate(image.Image, scan.Report, today) with { JsonReport = scan.JsonReportPath, SarifReport = scan.SarifReportPath };
            log($"{image.Image}: {(result.Passed ? "passed" : $"{result.Failed.Count} finding(s) failed")} the gate; reports {scan.JsonReportPath}, {scan.SarifReportPath}");
            results.Add(result);
        }

        var outcome = new ScanImagesResult(results);
        foreach (var line in outcome.Table)
            log(line);
        return outcome;
    }

    /// <summary>A file name for an image reference: registry/name:tag becomes registry-name-tag.</summary>
    public static string ReportName(string image) => UnsafeCharacters().Replace(image, "-").Trim('-');

    [GeneratedRegex("[^A-Za-z0-9._]+")]
    private static partial Regex UnsafeCharacters();
}
