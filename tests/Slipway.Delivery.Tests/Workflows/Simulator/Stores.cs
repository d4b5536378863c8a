namespace Slipway.Delivery.Tests.Workflows.Simulator;

/// <summary>
/// actions/cache's store for one repository: immutable entries by key; a restore takes the exact key, else the newest
/// entry whose key starts with one of the restore-keys, tried in order. Entries hold hard links (same file system), so a
/// 1 GB NuGet folder restores in a second; NuGet never rewrites a package file in place.
/// </summary>
internal sealed class CacheStore(string root)
{
    private readonly Lock gate = new();
    private readonly List<(string Key, string Folder)> entries = [];

    /// <summary>An entry as an earlier run (on the default branch) would have left it, e.g. a warm NuGet folder.</summary>
    public Task SeedAsync(string key, params string[] folders) => SaveAsync(key, folders);

    public (string Key, string Folder)? Find(string key, IReadOnlyList<string> restoreKeys)
    {
        lock (gate)
        {
            var exact = entries.FindLast(e => e.Key == key);
            if (exact.Folder is not null)
                return exact;
            foreach (var prefix in restoreKeys)
            {
                var match = entries.FindLast(e => e.Key.StartsWith(prefix, StringComparison.Ordinal));
                if (match.Folder is not null)
                    return match;
            }

            return null;
        }
    }

    public bool Has(string key)
    {
        lock (gate)
            return entries.Exists(e => e.Key == key);
    }

    public IReadOnlyList<string> Keys
    {
        get
        {
            lock (gate)
                return [.. entries.Select(e => e.Key)];
        }
    }

    /// <summary>Saves the paths (folder i of the entry holds path i); a key already saved is kept as it is (entries are immutable).</summary>
    public async Task SaveAsync(string key, IReadOnlyList<string> paths)
    {
        if (Has(key))
            return;
        var folder = Path.Combine(root, $"{entries.Count}-{Guid.NewGuid():N}"[..12]);
        for (var i = 0; i < paths.Count; i++)
        {
            var target = Path.Combine(folder, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Directory.CreateDirectory(target);
            if (Directory.Exists(paths[i]))
                await Shell.RunAsync("cp", ["-al", paths[i] + "/.", target]);
        }

        lock (gate)
            entries.Add((key, folder));
    }

    public static async Task RestoreAsync(string folder, IReadOnlyList<string> paths)
    {
        for (var i = 0; i < paths.Count; i++)
        {
            var source = Path.Combine(folder, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (!Directory.Exists(source))
                continue;
            Directory.CreateDirectory(paths[i]);
            await Shell.RunAsync("cp", ["-al", source + "/.", paths[i]]);
        }
    }
}

/// <summary>One run's artifacts (upload-artifact v4+: a name is unique within the run, an upload never overwrites).</summary>
internal sealed class ArtifactStore(string root)
{
    private readonly Lock gate = new();

    public IReadOnlyList<string> Names
    {
        get
        {
            lock (gate)
                return Directory.Exists(root) ? [.. Directory.GetDirectories(root).Select(Path.GetFileName).Order(StringComparer.Ordinal)!] : [];
        }
    }

    public string FolderOf(string name) => Path.Combine(root, name);

    /// <summary>Claims the name; false when the run already has an artifact of that name.</summary>
    public bool TryCreate(string name, out string folder)
    {
        folder = FolderOf(name);
        lock (gate)
        {
            if (Directory.Exists(folder))
                return false;
            Directory.CreateDirectory(folder);
            return true;
        }
    }
}
