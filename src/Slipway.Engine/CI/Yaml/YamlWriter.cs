using System.Text;
using System.Text.RegularExpressions;

namespace Slipway.Engine.CI.Yaml;

/// <summary>
/// Writes a <see cref="YamlNode"/> tree as block-style YAML: two-space indentation, LF line endings, keys in
/// insertion order, multi-line strings as literal blocks, and strings quoted only when a YAML 1.1 or 1.2 reader
/// would otherwise take them for a number, a boolean, null, an alias or other syntax.
/// </summary>
public static partial class YamlWriter
{
    public static string Write(YamlMapping document, IEnumerable<string>? headerComments = null)
    {
        var output = new StringBuilder();
        foreach (var comment in headerComments ?? [])
            output.Append("# ").Append(comment).Append('\n');
        WriteMappingEntries(output, document, indent: 0, firstLinePrefix: null);
        return output.ToString();
    }

    /// <summary>The scalar as it appears on one line: plain when safe, otherwise quoted.</summary>
    public static string Quote(string value)
    {
        if (NeedsDoubleQuotes(value))
            return DoubleQuoted(value);
        return IsSafePlain(value) ? value : $"'{value.Replace("'", "''", StringComparison.Ordinal)}'";
    }

    private static void WriteMappingEntries(StringBuilder output, YamlMapping mapping, int indent, string? firstLinePrefix)
    {
        var first = true;
        foreach (var (key, value) in mapping.Entries)
        {
            if (first && firstLinePrefix is not null)
                output.Append(firstLinePrefix);
            else
                output.Append(' ', indent);
            first = false;
            output.Append(Quote(key)).Append(':');
            WriteValue(output, value, indent);
        }
    }

    /// <summary>Writes what follows <c>key:</c> (or <c>-</c>): an inline scalar, or a nested block on the next lines.</summary>
    private static void WriteValue(StringBuilder output, YamlNode value, int indent)
    {
        switch (value)
        {
            case YamlScalar scalar:
                WriteScalar(output, scalar, indent);
                break;
            case YamlMapping { Count: 0 }:
                output.Append(" {}\n");
                break;
            case YamlSequence { Count: 0 }:
                output.Append(" []\n");
                break;
            case YamlMapping mapping:
                output.Append('\n');
                WriteMappingEntries(output, mapping, indent + 2, firstLinePrefix: null);
                break;
            case YamlSequence sequence:
                output.Append('\n');
                WriteSequenceItems(output, sequence, indent + 2);
                break;
            default:
                throw new ArgumentException($"unknown YAML node {value.GetType().Name}", nameof(value));
        }
    }

    private static void WriteSequenceItems(StringBuilder output, YamlSequence sequence, int indent)
    {
        foreach (var item in sequence.Items)
        {
            switch (item)
            {
                case YamlMapping { Count: > 0 } mapping:
                    WriteMappingEntries(output, mapping, indent + 2, firstLinePrefix: new string(' ', indent) + "- ");
                    break;
                case YamlSequence { Count: > 0 }:
                    throw new ArgumentException("a sequence directly inside a sequence is not supported", nameof(sequence));
                default:
                    output.Append(' ', indent).Append('-');
                    WriteValue(output, item, indent);
                    break;
            }
        }
    }

    private static void WriteScalar(StringBuilder output, YamlScalar scalar, int indent)
    {
        if (scalar.IsVerbatim)
        {
            output.Append(' ').Append(scalar.Value).Append('\n');
            return;
        }

        if (IsLiteralBlockCandidate(scalar.Value))
        {
            var text = scalar.Value;
            var chomping = text.EndsWith('\n') ? "" : "-";
            output.Append(" |").Append(chomping).Append('\n');
            foreach (var line in text.TrimEnd('\n').Split('\n'))
            {
                if (line.Length > 0)
                    output.Append(' ', indent + 2).Append(line);
                output.Append('\n');
            }

            return;
        }

        output.Append(' ').Append(Quote(scalar.Value)).Append('\n');
    }

    /// <summary>Multi-line text without characters a literal block cannot carry; at most one trailing newline.</summary>
    private static bool IsLiteralBlockCandidate(string value) =>
        value.Contains('\n', StringComparison.Ordinal) &&
        !value.EndsWith("\n\n", StringComparison.Ordinal) &&
        !value.StartsWith(' ') && !value.StartsWith('\n') &&
        !value.Any(c => c == '\r' || c == '\t' || (char.IsControl(c) && c != '\n')) &&
        value.TrimEnd('\n').Split('\n').All(line => line.Length == 0 || line.TrimEnd() == line);

    private static bool NeedsDoubleQuotes(string value) => value.Any(char.IsControl);

    private static bool IsSafePlain(string value)
    {
        if (value.Length == 0 || value.Trim() != value)
            return false;
        var indicatorAllowedFirst = value.Length > 1 && (value[0] is '-' or '?' or ':') && value[1] != ' ';
        if ("-?:,[]{}#&*!|>'\"%@`".Contains(value[0], StringComparison.Ordinal) && !indicatorAllowedFirst)
            return false;
        if (value.Contains(": ", StringComparison.Ordinal) || value.Contains(" #", StringComparison.Ordinal) || value.EndsWith(':'))
            return false;
        return !Ambiguous(value);
    }

    /// <summary>Words and number-like forms YAML 1.1 or 1.2 resolves to booleans, null, numbers, dates or merge keys.</summary>
    private static bool Ambiguous(string value) => Reserved().IsMatch(value) || NumberLike().IsMatch(value);

    private static string DoubleQuoted(string value)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in value)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return builder.Append('"').ToString();
    }

    [GeneratedRegex(@"^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~|<<)$")]
    private static partial Regex Reserved();

    [GeneratedRegex(@"^([-+]?(\.?[0-9]|\.(inf|Inf|INF|nan|NaN|NAN)))")]
    private static partial Regex NumberLike();
}
