namespace Slipway.Engine.CI;

/// <summary>Keeps generated files on disk in step with the build definition.</summary>
internal static class WorkflowFiles
{
    /// <summary>Files whose content on disk differs from the generated content, with why ("missing" or "out of date").</summary>
    public static IReadOnlyList<string> FindStale(AbsolutePath root, IEnumerable<GeneratedFile> files) =>
        files
            .Select(f => (f.RelativePath, Path: root / f.RelativePath, f.Content))
            .Where(f => !File.Exists(f.Path) || File.ReadAllText(f.Path) != f.Content)
            .Select(f => $"{f.RelativePath} ({(File.Exists(f.Path) ? "out of date" : "missing")})")
            .ToList();

    /// <summary>Writes the files whose content changed (LF, UTF-8 without BOM) and returns their paths.</summary>
    public static IReadOnlyList<string> WriteChanged(AbsolutePath root, IEnumerable<GeneratedFile> files)
    {
        var written = new List<string>();
        foreach (var file in files)
        {
            var path = root / file.RelativePath;
            if (File.Exists(path) && File.ReadAllText(path) == file.Content)
                continue;
            path.Parent.CreateDirectory();
            File.WriteAllText(path, file.Content);
            written.Add(file.RelativePath);
        }

        return written;
    }
}
