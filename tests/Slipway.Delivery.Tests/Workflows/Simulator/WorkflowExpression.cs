using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Delivery.Tests.Workflows.Simulator;

/// <summary>
/// GitHub Actions' expression language (docs.github.com "Evaluate expressions in workflows and actions"): literals,
/// <c>! == != &lt; &lt;= &gt; &gt;= &amp;&amp; ||</c>, property and index access, loose equality (case-insensitive strings,
/// numbers otherwise), the functions a workflow may call. Values are null, bool, double, string, an
/// <see cref="IReadOnlyDictionary{TKey,TValue}"/> (object) or an <see cref="IReadOnlyList{T}"/> (array).
/// A context or function this simulator does not know fails the step loudly, naming it.
/// </summary>
internal static class WorkflowExpression
{
    /// <summary>Evaluates a condition (<c>if:</c>), with or without <c>${{ }}</c> around it.</summary>
    public static bool Condition(string? text, ExpressionScope scope, string defaultCondition = "success()")
    {
        var expression = string.IsNullOrWhiteSpace(text) ? defaultCondition : text.Trim();
        if (expression.StartsWith("${{", StringComparison.Ordinal) && expression.EndsWith("}}", StringComparison.Ordinal)
            && expression.IndexOf("${{", 3, StringComparison.Ordinal) < 0)
            expression = expression[3..^2];
        var value = Evaluate(expression, scope);
        // As GitHub: a condition that calls no status function is implicitly "success() && (...)".
        if (!CallsStatusFunction(expression))
            return scope.Status.Success && IsTruthy(value);
        return IsTruthy(value);
    }

    /// <summary>Replaces every <c>${{ expression }}</c> in a text by the expression's value as text.</summary>
    public static string Interpolate(string text, ExpressionScope scope)
    {
        var result = new StringBuilder();
        var position = 0;
        while (true)
        {
            var start = text.IndexOf("${{", position, StringComparison.Ordinal);
            if (start < 0)
                return result.Append(text, position, text.Length - position).ToString();
            var end = FindClose(text, start + 3);
            result.Append(text, position, start - position);
            result.Append(ToText(Evaluate(text[(start + 3)..end], scope)));
            position = end + 2;
        }
    }

    public static object? Evaluate(string expression, ExpressionScope scope) => new Parser(expression, scope).ParseAll();

    public static bool IsTruthy(object? value) => value switch
    {
        null => false,
        bool b => b,
        double d => d != 0 && !double.IsNaN(d),
        string s => s.Length > 0,
        _ => true,
    };

    public static string ToText(object? value) => value switch
    {
        null => "",
        bool b => b ? "true" : "false",
        double d => d.ToString(CultureInfo.InvariantCulture),
        string s => s,
        _ => ToJson(value),
    };

    public static string ToJson(object? value) => ToNode(value)?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null";

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        bool b => JsonValue.Create(b),
        double d => JsonValue.Create(d),
        string s => JsonValue.Create(s),
        IReadOnlyDictionary<string, object?> map => new JsonObject(map.Select(p => KeyValuePair.Create(p.Key, ToNode(p.Value)))),
        IReadOnlyList<object?> list => new JsonArray([.. list.Select(ToNode)]),
        _ => throw new WorkflowSimulationException($"expression value of type {value.GetType().Name} has no JSON form"),
    };

    public static object? FromJson(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => FromJson(p.Value), StringComparer.OrdinalIgnoreCase),
        JsonArray a => a.Select(FromJson).ToList(),
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        _ => node.ToString(),
    };

    private static int FindClose(string text, int from)
    {
        var inString = false;
        for (var i = from; i < text.Length - 1; i++)
        {
            if (text[i] == '\'')
                inString = !inString;
            else if (!inString && text[i] == '}' && text[i + 1] == '}')
                return i;
        }

        throw new WorkflowSimulationException($"unterminated ${{{{ in: {text}");
    }

    private static bool CallsStatusFunction(string expression) =>
        new[] { "always(", "success(", "failure(", "cancelled(" }.Any(f => expression.Replace(" ", "", StringComparison.Ordinal).Contains(f, StringComparison.OrdinalIgnoreCase));

    private static bool LooseEquals(object? left, object? right)
    {
        if (left is string ls && right is string rs)
            return string.Equals(ls, rs, StringComparison.OrdinalIgnoreCase);
        if (left is null && right is null)
            return true;
        if (left is IReadOnlyDictionary<string, object?> or IReadOnlyList<object?> || right is IReadOnlyDictionary<string, object?> or IReadOnlyList<object?>)
            return ReferenceEquals(left, right);
        if (left?.GetType() == right?.GetType())
            return Equals(left, right);
        return ToNumber(left) == ToNumber(right);
    }

    private static double ToNumber(object? value) => value switch
    {
        null => 0,
        bool b => b ? 1 : 0,
        double d => d,
        string s when s.Trim().Length == 0 => 0,
        string s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN,
        _ => double.NaN,
    };

    private static int Compare(object? left, object? right) =>
        left is string ls && right is string rs
            ? string.Compare(ls, rs, StringComparison.OrdinalIgnoreCase)
            : ToNumber(left).CompareTo(ToNumber(right));

    /// <summary>Recursive descent over the expression text, evaluating as it goes (the functions have no side effects).</summary>
    private sealed class Parser(string text, ExpressionScope scope)
    {
        private int position;

        public object? ParseAll()
        {
            var value = Or();
            SkipSpace();
            if (position != text.Length)
                throw Error($"unexpected '{text[position..]}'");
            return value;
        }

        private object? Or()
        {
            var left = And();
            while (Accept("||"))
            {
                var right = And();
                left = IsTruthy(left) ? left : right;
            }

            return left;
        }

        private object? And()
        {
            var left = Comparison();
            while (Accept("&&"))
            {
                var right = Comparison();
                left = IsTruthy(left) ? right : left;
            }

            return left;
        }

        private object? Comparison()
        {
            var left = Unary();
            while (true)
            {
                if (Accept("=="))
                    left = LooseEquals(left, Unary());
                else if (Accept("!="))
                    left = !LooseEquals(left, Unary());
                else if (Accept("<="))
                    left = Compare(left, Unary()) <= 0;
                else if (Accept(">="))
                    left = Compare(left, Unary()) >= 0;
                else if (Accept("<"))
                    left = Compare(left, Unary()) < 0;
                else if (Accept(">"))
                    left = Compare(left, Unary()) > 0;
                else
                    return left;
            }
        }

        private object? Unary() => Accept("!") ? !IsTruthy(Unary()) : Postfix(Primary());

        private object? Postfix(object? value)
        {
            while (true)
            {
                SkipSpace();
                if (Peek('.'))
                {
                    position++;
                    var name = Identifier();
                    value = Member(value, name);
                }
                else if (Peek('['))
                {
                    position++;
                    var key = Or();
                    Expect("]");
                    value = key is double index && value is IReadOnlyList<object?> list
                        ? index >= 0 && index < list.Count ? list[(int)index] : null
                        : Member(value, ToText(key));
                }
                else
                {
                    return value;
                }
            }
        }

        private static object? Member(object? value, string name) =>
            value is IReadOnlyDictionary<string, object?> map && map.TryGetValue(name, out var member) ? member : null;

        private object? Primary()
        {
            SkipSpace();
            if (Accept("("))
            {
                var inner = Or();
                Expect(")");
                return inner;
            }

            if (Peek('\''))
                return StringLiteral();
            if (position < text.Length && (char.IsDigit(text[position]) || text[position] == '-'))
                return NumberLiteral();
            var name = Identifier();
            SkipSpace();
            if (Peek('('))
            {
                position++;
                var arguments = new List<object?>();
                SkipSpace();
                if (!Accept(")"))
                {
                    do
                        arguments.Add(Or());
                    while (Accept(","));
                    Expect(")");
                }

                return scope.Call(name, arguments);
            }

            return name.ToLowerInvariant() switch
            {
                "true" => true,
                "false" => false,
                "null" => null,
                _ => scope.Context(name),
            };
        }

        private string StringLiteral()
        {
            var value = new StringBuilder();
            position++;
            while (true)
            {
                if (position >= text.Length)
                    throw Error("unterminated string");
                if (text[position] == '\'')
                {
                    if (position + 1 < text.Length && text[position + 1] == '\'')
                    {
                        value.Append('\'');
                        position += 2;
                        continue;
                    }

                    position++;
                    return value.ToString();
                }

                value.Append(text[position++]);
            }
        }

        private double NumberLiteral()
        {
            var start = position;
            position++;
            while (position < text.Length && (char.IsLetterOrDigit(text[position]) || text[position] == '.'))
                position++;
            return double.Parse(text[start..position], NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        private string Identifier()
        {
            SkipSpace();
            var start = position;
            while (position < text.Length && (char.IsLetterOrDigit(text[position]) || text[position] is '_' or '-'))
                position++;
            if (start == position)
                throw Error(position < text.Length ? $"unexpected '{text[position]}'" : "unexpected end");
            return text[start..position];
        }

        private bool Accept(string token)
        {
            SkipSpace();
            if (string.CompareOrdinal(text, position, token, 0, token.Length) != 0)
                return false;
            // "!" must not swallow the first character of "!=".
            if (token == "!" && position + 1 < text.Length && text[position + 1] == '=')
                return false;
            position += token.Length;
            return true;
        }

        private void Expect(string token)
        {
            if (!Accept(token))
                throw Error($"expected '{token}'");
        }

        private bool Peek(char c) => position < text.Length && text[position] == c;

        private void SkipSpace()
        {
            while (position < text.Length && char.IsWhiteSpace(text[position]))
                position++;
        }

        private WorkflowSimulationException Error(string what) => new($"expression '{text}': {what} at {position}");
    }
}
