namespace Slipway.Engine;

/// <summary>The closest known name to a mistyped one, when it is close enough to be a typo.</summary>
public static class DidYouMean
{
    public static string? Closest(string typed, IEnumerable<string> candidates)
    {
        var needle = typed.ToLowerInvariant();
        var best = candidates
            .Select(c => (Candidate: c, Distance: Distance(needle, c.ToLowerInvariant())))
            .OrderBy(x => x.Distance)
            .ThenBy(x => x.Candidate, StringComparer.Ordinal)
            .FirstOrDefault();
        return best.Candidate is not null && best.Distance <= Math.Max(2, needle.Length / 3) ? best.Candidate : null;
    }

    /// <summary>Optimal string alignment distance: edits, with a swap of neighbours counted as one.</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }

        return d[a.Length, b.Length];
    }
}
