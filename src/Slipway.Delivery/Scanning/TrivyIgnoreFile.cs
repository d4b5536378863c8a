using System.Globalization;

namespace Slipway.Delivery.Scanning;

/// <summary>
/// One line of a .trivyignore: a finding ID (CVE, GHSA, misconfiguration or secret rule ID) and an optional
/// `exp:YYYY-MM-DD`. As in Trivy, the entry stops applying on its expiry date.
/// </summary>
public sealed record TrivyIgnoreEntry(string Id, DateOnly? ExpiresOn, int Line)
{
    public bool AppliesOn(DateOnly today) => ExpiresOn is not { } expiry || today < expiry;
}

/// <summary>A parsed .trivyignore file: `#` comments, one ID per line, optional `exp:` expiry.</summary>
public sealed class TrivyIgnoreFile
{
    public static TrivyIgnoreFile Empty { get; } = new("(none)", []);

    private TrivyIgnoreFile(string source, IReadOnlyList<TrivyIgnoreEntry> entries)
    {
        Source = source;
        Entries = entries;
    }

    public string Source { get; }

    public IReadOnlyList<TrivyIgnoreEntry> Entries { get; }

    /// <summary>The entry that ignores any of <paramref name="ids"/> today, or null (expired entries never match).</summary>
    public TrivyIgnoreEntry? Match(DateOnly today, params string?[] ids) =>
        Entries.FirstOrDefault(e => e.AppliesOn(today) && ids.Any(id => string.Equals(id, e.Id, StringComparison.OrdinalIgnoreCase)));

    public IEnumerable<TrivyIgnoreEntry> ExpiredOn(DateOnly today) => Entries.Where(e => !e.AppliesOn(today));

    /// <summary>Reads the file, or returns <see cref="Empty"/> when it does not exist (a .trivyignore is optional).</summary>
    public static TrivyIgnoreFile Load(string path) =>
        File.Exists(path) ? Parse(File.ReadAllText(path), path) : Empty;

    public static TrivyIgnoreFile Parse(string text, string source)
    {
        var entries = new List<TrivyIgnoreEntry>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var content = StripComment(lines[i]).Trim();
            if (content.Length == 0)
                continue;

            var fields = content.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            DateOnly? expiry = null;
            foreach (var field in fields.Skip(1))
            {
                if (!field.StartsWith("exp:", StringComparison.OrdinalIgnoreCase))
                    continue;
                if (!DateOnly.TryParseExact(field[4..], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                    throw new DeliveryException($"{source}:{i + 1}: '{field}' is not a valid expiry: write exp:YYYY-MM-DD");
                expiry = date;
            }

            entries.Add(new TrivyIgnoreEntry(fields[0], expiry, i + 1));
        }

        return new TrivyIgnoreFile(source, entries);
    }

    private static string StripComment(string line)
    {
        var hash = line.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? line : line[..hash];
    }
}
