using System.Text;

namespace Slipway.Engine;

/// <summary>The spellings of one parameter name: <c>MinCoverage</c>, <c>--min-coverage</c>, <c>MIN_COVERAGE</c>.</summary>
public static class ParameterName
{
    public static string ToKebab(string name) => Split(name, '-').ToLowerInvariant();

    public static string ToUpperSnake(string name) => Split(name, '_').ToUpperInvariant();

    public static string ToPascal(string name)
    {
        var builder = new StringBuilder(name.Length);
        var upper = true;
        foreach (var c in name)
        {
            if (c is '-' or '_')
            {
                upper = true;
                continue;
            }

            builder.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        return builder.ToString();
    }

    /// <summary>The form names are compared in: lower case, without dashes or underscores.</summary>
    public static string Normalize(string name) =>
        new(name.Where(c => c is not ('-' or '_')).Select(char.ToLowerInvariant).ToArray());

    private static string Split(string name, char separator)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c is '-' or '_')
            {
                builder.Append(separator);
                continue;
            }

            var startsWord = i > 0 && char.IsUpper(c) &&
                (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1])));
            if (startsWord && builder.Length > 0 && builder[^1] != separator)
                builder.Append(separator);
            builder.Append(c);
        }

        return builder.ToString();
    }
}
