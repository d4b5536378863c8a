using System.Text;

namespace Slipway.Delivery.Deployment;

/// <summary>
/// Compose's variable syntax: <c>$$</c> for a literal dollar, <c>$VAR</c>, <c>${VAR}</c>,
/// <c>${VAR:-default}</c> / <c>${VAR-default}</c>, and <c>${VAR:?message}</c> / <c>${VAR?message}</c>
/// for required values. The colon forms also treat an empty value as unset.
/// </summary>
public static class ComposeInterpolation
{
    public static string Apply(string text, Func<string, string?> variable, string where)
    {
        if (!text.Contains('$', StringComparison.Ordinal))
            return text;
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '$' || i == text.Length - 1)
            {
                result.Append(text[i]);
                continue;
            }

            var next = text[i + 1];
            if (next == '$')
            {
                result.Append('$');
                i++;
            }
            else if (next == '{')
            {
                var end = ClosingBrace(text, i + 2) ?? throw new ComposeException($"{where}: unterminated '${{' in '{text}'");
                result.Append(Expand(text[(i + 2)..end], variable, where));
                i = end;
            }
            else if (char.IsLetter(next) || next == '_')
            {
                var end = i + 1;
                while (end < text.Length && (char.IsLetterOrDigit(text[end]) || text[end] == '_'))
                    end++;
                result.Append(variable(text[(i + 1)..end]) ?? "");
                i = end - 1;
            }
            else
            {
                result.Append('$');
            }
        }

        return result.ToString();
    }

    private static int? ClosingBrace(string text, int start)
    {
        var depth = 1;
        for (var i = start; i < text.Length; i++)
        {
            if (text[i] == '{')
                depth++;
            else if (text[i] == '}' && --depth == 0)
                return i;
        }

        return null;
    }

    private static string Expand(string expression, Func<string, string?> variable, string where)
    {
        var nameEnd = 0;
        while (nameEnd < expression.Length && (char.IsLetterOrDigit(expression[nameEnd]) || expression[nameEnd] == '_'))
            nameEnd++;
        var name = expression[..nameEnd];
        if (name.Length == 0)
            throw new ComposeException($"{where}: '${{{expression}}}' has no variable name");
        var value = variable(name);
        var rest = expression[nameEnd..];
        if (rest.Length == 0)
            return value ?? "";

        var colon = rest.StartsWith(':');
        var op = colon ? rest[1..2] : rest[..1];
        var argument = rest[(colon ? 2 : 1)..];
        var unset = value is null || (colon && value.Length == 0);
        return op switch
        {
            "-" => unset ? Apply(argument, variable, where) : value!,
            "?" => unset ? throw new ComposeException($"{where}: {name} is required: {argument}") : value!,
            "+" => unset ? "" : Apply(argument, variable, where),
            _ => throw new ComposeException($"{where}: '${{{expression}}}' is not a supported substitution"),
        };
    }
}

/// <summary>A compose file is unreadable, uses something we do not support, or needs a variable that is not set.</summary>
public sealed class ComposeException(string message) : DeliveryException(message);
