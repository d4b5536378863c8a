using System.Globalization;
using System.Text;
using System.Xml.Linq;

namespace Slipway.Tools.DotNet;

/// <summary>
/// Line coverage merged over several Cobertura reports: a line counts as covered when any test project
/// covered it, since one assembly is exercised by several test projects.
/// </summary>
public sealed class CoverageReport
{
    private readonly Dictionary<string, Dictionary<string, Dictionary<int, bool>>> lines; // package → file → line → covered

    private CoverageReport(Dictionary<string, Dictionary<string, Dictionary<int, bool>>> lines) => this.lines = lines;

    public int TotalLines => lines.Values.SelectMany(f => f.Values).Sum(l => l.Count);

    public int CoveredLines => lines.Values.SelectMany(f => f.Values).Sum(l => l.Values.Count(c => c));

    public double LinePercent => TotalLines == 0 ? 100 : 100.0 * CoveredLines / TotalLines;

    /// <summary>Per assembly: covered and total lines.</summary>
    public IReadOnlyDictionary<string, (int Covered, int Total)> ByPackage =>
        lines.ToDictionary(p => p.Key, p => (p.Value.Values.Sum(l => l.Values.Count(c => c)), p.Value.Values.Sum(l => l.Count)));

    public static CoverageReport Merge(IEnumerable<string> coberturaFiles, string rootDirectory)
    {
        var merged = new Dictionary<string, Dictionary<string, Dictionary<int, bool>>>(StringComparer.Ordinal);
        foreach (var file in coberturaFiles)
        {
            var document = XDocument.Load(file);
            var source = document.Descendants("source").Select(s => s.Value).FirstOrDefault() ?? "";
            foreach (var package in document.Descendants("package"))
            {
                var name = package.Attribute("name")?.Value ?? "?";
                var files = merged.TryGetValue(name, out var known) ? known : merged[name] = new(StringComparer.Ordinal);
                foreach (var type in package.Descendants("class"))
                {
                    var path = Path.GetFullPath(Path.Combine(source, type.Attribute("filename")?.Value ?? ""));
                    if (IsGenerated(path))
                        continue;
                    var relative = Path.GetRelativePath(rootDirectory, path).Replace('\\', '/');
                    var fileLines = files.TryGetValue(relative, out var existing) ? existing : files[relative] = [];
                    foreach (var line in type.Element("lines")?.Elements("line") ?? [])
                    {
                        var number = int.Parse(line.Attribute("number")!.Value, CultureInfo.InvariantCulture);
                        var covered = long.Parse(line.Attribute("hits")?.Value ?? "0", CultureInfo.InvariantCulture) > 0;
                        fileLines[number] = fileLines.GetValueOrDefault(number) || covered;
                    }
                }
            }
        }

        return new CoverageReport(merged);
    }

    /// <summary>Writes summary.md (per assembly) into the folder.</summary>
    public void WriteSummary(string directory)
    {
        Directory.CreateDirectory(directory);
        var text = new StringBuilder();
        text.AppendLine("| Assembly | Covered lines | Total lines | Line coverage |");
        text.AppendLine("|---|---:|---:|---:|");
        foreach (var (package, (covered, total)) in ByPackage.OrderBy(p => p.Key, StringComparer.Ordinal))
            text.AppendLine(CultureInfo.InvariantCulture, $"| {package} | {covered} | {total} | {Percent(covered, total)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| **all** | {CoveredLines} | {TotalLines} | {Percent(CoveredLines, TotalLines)} |");
        File.WriteAllText(Path.Combine(directory, "summary.md"), text.ToString());
    }

    private static string Percent(int covered, int total) =>
        (total == 0 ? 100 : 100.0 * covered / total).ToString("0.0", CultureInfo.InvariantCulture) + " %";

    private static bool IsGenerated(string path) =>
        path.Contains("/obj/", StringComparison.Ordinal) || path.EndsWith(".g.cs", StringComparison.Ordinal);
}
