namespace Slipway.Tools.Aws;

/// <summary>
/// Reads a profile from the shared credentials file (~/.aws/credentials, sections "[name]") and the config file
/// (~/.aws/config, sections "[profile name]" or "[default]"); the credentials file wins for the same key.
/// </summary>
internal static class SharedProfileFiles
{
    /// <summary>The profile's settings (lower-case keys), or null when neither file has the profile.</summary>
    public static IReadOnlyDictionary<string, string>? ReadProfile(AwsEnvironment environment, string profile)
    {
        var fromConfig = ReadSection(environment.ConfigFile, profile == "default" ? ["default", "profile default"] : [$"profile {profile}"]);
        var fromCredentials = ReadSection(environment.SharedCredentialsFile, [profile]);
        if (fromConfig is null && fromCredentials is null)
            return null;

        var merged = new Dictionary<string, string>(fromConfig ?? [], StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in fromCredentials ?? [])
            merged[key] = value;
        return merged;
    }

    private static Dictionary<string, string>? ReadSection(string path, string[] sectionNames)
    {
        if (!File.Exists(path))
            return null;

        Dictionary<string, string>? section = null;
        var inSection = false;
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
                continue;
            if (line[0] == '[' && line[^1] == ']')
            {
                var name = string.Join(' ', line[1..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
                inSection = sectionNames.Contains(name, StringComparer.Ordinal);
                if (inSection)
                    section ??= new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (inSection && equals > 0)
                section![line[..equals].Trim()] = line[(equals + 1)..].Trim();
        }

        return section;
    }
}
