using System.Text.RegularExpressions;

namespace Slipway.Stack.Tests.Compose;

/// <summary>Judges whether a value in an example env file looks like a real secret rather than a placeholder.</summary>
public static partial class SecretLikeValue
{
    /// <summary>The reason <paramref name="value"/> of <paramref name="key"/> looks secret, or null.</summary>
    public static string? Why(string key, string value)
    {
        if (value.Length == 0)
            return null;
        if (SecretName().IsMatch(key))
            return $"{key} names a secret but has a value; leave it empty";
        if (KnownTokenShape().IsMatch(value))
            return $"{key} has the shape of a known credential";
        if (value.Length >= 20 && OpaqueToken().IsMatch(value) && BitsPerCharacter(value) > 3.5)
            return $"{key} is a long random-looking string";
        return null;
    }

    private static double BitsPerCharacter(string value) =>
        -value.GroupBy(c => c).Sum(g => (double)g.Count() / value.Length * Math.Log2((double)g.Count() / value.Length));

    [GeneratedRegex("PASSWORD|SECRET|TOKEN|CREDENTIAL|PRIVATE|API_KEY|ACCESS_KEY", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"AKIA[0-9A-Z]{16}|-----BEGIN|gh[pousr]_[A-Za-z0-9]{20,}|xox[bp]-|sk-[A-Za-z0-9]{20,}|eyJ[A-Za-z0-9_-]{10,}\.")]
    private static partial Regex KnownTokenShape();

    [GeneratedRegex(@"^[A-Za-z0-9+/=_-]+$")]
    private static partial Regex OpaqueToken();
}
