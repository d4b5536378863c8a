using System.Globalization;
using Slipway.Tools.Trivy;

namespace Slipway.Delivery.Scanning;

/// <summary>Renders scan results as text lines: one row per image, then the findings that failed the gate.</summary>
public static class ScanTable
{
    private static readonly TrivySeverity[] Columns =
        [TrivySeverity.Critical, TrivySeverity.High, TrivySeverity.Medium, TrivySeverity.Low, TrivySeverity.Unknown];

    public static IReadOnlyList<string> Render(IReadOnlyList<ImageScanResult> results)
    {
        var width = Math.Max("IMAGE".Length, results.Select(r => r.Image.Length).DefaultIfEmpty(0).Max());
        var lines = new List<string>
        {
            $"{"IMAGE".PadRight(width)}  {string.Join("  ", Columns.Select(c => c.Name()))}  IGNORED  GATE",
        };
        foreach (var result in results)
        {
            var cells = Columns.Select(c => result.Counts.GetValueOrDefault(c).ToString(CultureInfo.InvariantCulture).PadLeft(c.Name().Length));
            var gate = result.Passed ? "pass" : $"FAIL ({result.Failed.Count})";
            lines.Add($"{result.Image.PadRight(width)}  {string.Join("  ", cells)}  {result.Ignored,7}  {gate}");
        }

        foreach (var result in results.Where(r => !r.Passed))
        {
            lines.Add($"{result.Image}: {result.Failed.Count} finding(s) failed the gate");
            lines.AddRange(result.Failed.Select(f => "  " + f.Describe()));
        }

        return lines;
    }

    /// <summary>For the CI step summary: a line per image (counts after ignores, ignored, verdict), then one per finding that failed.</summary>
    public static IEnumerable<string> SummaryLines(IReadOnlyList<ImageScanResult> results) =>
        results.Select(r =>
                $"{r.Image}: {string.Join(", ", Columns.Select(c => $"{c.Name()} {r.Counts.GetValueOrDefault(c).ToString(CultureInfo.InvariantCulture)}"))}" +
                $" · {r.Ignored.ToString(CultureInfo.InvariantCulture)} ignored · {(r.Passed ? "pass" : $"FAIL ({r.Failed.Count.ToString(CultureInfo.InvariantCulture)})")}")
            .Concat(results.SelectMany(r => r.Failed.Select(f => $"{r.Image}: {string.Join(' ', f.Describe().Split(' ', StringSplitOptions.RemoveEmptyEntries))}")));
}
