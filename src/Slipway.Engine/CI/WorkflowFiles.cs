using System.Text.RegularExpressions;

namespace Slipway.Engine.CI;

/// <summary>Keeps generated files on disk in step with the build definition.</summary>
internal static partial class WorkflowFiles
{
    /// <summary>Files whose content on disk differs from the generated content, with why ("missing" or "out of date").</summary>
    public static IReadOnlyList<string> FindStale(AbsolutePath root, IEnumerable<GeneratedFile> files) =>
        files
            .Select(f => (f.RelativePath, Path: root / f.RelativePath))
            .Select(f => (f.RelativePath, f.Path, OnDisk: File.Exists(f.Path) ? File.ReadAllText(f.Path) : null, Generated: files.First(g => g.RelativePath == f.RelativePath).Content))
            .Where(f => f.OnDisk is null || f.OnDisk != KeepNewerPins(f.Generated, f.OnDisk))
            .Select(f => $"{f.RelativePath} ({(f.OnDisk is null ? "missing" : "out of date")})")
            .ToList();

    /// <summary>Writes the files whose content changed (LF, UTF-8 without BOM) and returns their paths.</summary>
    public static IReadOnlyList<string> WriteChanged(AbsolutePath root, IEnumerable<GeneratedFile> files)
    {
        var written = new List<string>();
        foreach (var file in files)
        {
            var path = root / file.RelativePath;
            var onDisk = File.Exists(path) ? File.ReadAllText(path) : null;
            var content = KeepNewerPins(file.Content, onDisk);
            if (onDisk == content)
                continue;
            path.Parent.CreateDirectory();
            File.WriteAllText(path, content);
            written.Add(file.RelativePath);
        }

        return written;
    }

    /// <summary>
    /// A pinned action that the file on disk pins to a newer release (a Dependabot bump: another commit, a higher
    /// <c># vX.Y.Z</c>) keeps the file's pin, so the bump is neither reported stale nor written back. Anything else,
    /// including an older release or a pin without a version comment, is generated as declared.
    /// </summary>
    internal static string KeepNewerPins(string generated, string? onDisk)
    {
        if (onDisk is null)
            return generated;
        var pins = PinnedUse().Matches(onDisk)
            .GroupBy(m => m.Groups["action"].Value)
            .ToDictionary(g => g.Key, g => g.MaxBy(m => ReleaseOf(m))!);
        return PinnedUse().Replace(generated, use =>
            pins.TryGetValue(use.Groups["action"].Value, out var pin) && ReleaseOf(pin) > ReleaseOf(use)
                ? use.Groups["lead"].Value + pin.Value[pin.Groups["lead"].Length..]
                : use.Value);
    }

    private static Version ReleaseOf(Match use)
    {
        var parts = use.Groups["version"].Value[1..].Split('.').Select(int.Parse).Concat([0, 0]).Take(3).ToArray();
        return new Version(parts[0], parts[1], parts[2]);
    }

    [GeneratedRegex(@"^(?<lead>[ ]*(?:- )?uses: )(?<action>[^@\s]+)@(?<sha>[0-9a-f]{40}) # (?<version>v\d{1,6}(?:\.\d{1,6}){0,2})$", RegexOptions.Multiline)]
    private static partial Regex PinnedUse();
}
