using F23.StringSimilarity;

namespace Slipway.Spelling;

/// <summary>
/// The closest known name to a mistyped one, when it is close enough to be a typo. Compiled into each assembly that
/// names things for its user (the engine: targets and parameters; delivery: environment file keys), which share no
/// other dependency.
/// </summary>
internal static class DidYouMean
{
    private static readonly OptimalStringAlignment Alignment = new();

    public static string? Closest(string typed, IEnumerable<string> candidates)
    {
        var needle = typed.ToLowerInvariant();
        var best = candidates
            .Select(c => (Candidate: c, Distance: Alignment.Distance(needle, c.ToLowerInvariant())))
            .OrderBy(x => x.Distance)
            .ThenBy(x => x.Candidate, StringComparer.Ordinal)
            .FirstOrDefault();
        return best.Candidate is not null && best.Distance <= Math.Max(2, needle.Length / 3) ? best.Candidate : null;
    }
}
