using System.Globalization;

namespace Slipway.Engine;

/// <summary>Turns the text of a parameter value into its declared type.</summary>
internal static class ValueConverter
{
    public static bool IsSupported(Type type)
    {
        var element = ElementType(type);
        return element is not null && ScalarSupported(Nullable.GetUnderlyingType(element) ?? element);
    }

    public static bool IsArray(Type type) => type.IsArray;

    public static bool IsFlag(Type type) => (Nullable.GetUnderlyingType(type) ?? type) == typeof(bool);

    /// <summary>Converts the values given for one parameter; arrays take all, scalars exactly one.</summary>
    public static object? Convert(IReadOnlyList<string> values, Type type, string parameter, string rootDirectory)
    {
        if (type.IsArray)
        {
            var element = type.GetElementType()!;
            var items = values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
            var array = Array.CreateInstance(element, items.Length);
            for (var i = 0; i < items.Length; i++)
                array.SetValue(ConvertScalar(items[i], element, parameter, rootDirectory), i);
            return array;
        }

        if (values.Count == 0 && IsFlag(type))
            return true;
        if (values.Count != 1)
            throw new UsageException($"--{parameter} takes one value, got {values.Count}: {string.Join(' ', values)}");
        return ConvertScalar(values[0], type, parameter, rootDirectory);
    }

    /// <summary>The type's name as --help shows it.</summary>
    public static string Describe(Type type)
    {
        if (type.IsArray)
            return Describe(type.GetElementType()!) + "[]";
        var scalar = Nullable.GetUnderlyingType(type) ?? type;
        if (scalar.IsEnum)
            return string.Join('|', Enum.GetNames(scalar).Select(ParameterName.ToKebab));
        return scalar switch
        {
            _ when scalar == typeof(string) => "string",
            _ when scalar == typeof(bool) => "bool",
            _ when scalar == typeof(int) || scalar == typeof(long) => "int",
            _ when scalar == typeof(double) || scalar == typeof(decimal) => "number",
            _ when scalar == typeof(TimeSpan) => "duration",
            _ when scalar == typeof(AbsolutePath) => "path",
            _ => scalar.Name,
        };
    }

    private static Type? ElementType(Type type) => type.IsArray ? type.GetElementType() : type;

    private static bool ScalarSupported(Type type) =>
        type.IsEnum || type == typeof(string) || type == typeof(bool) || type == typeof(int) || type == typeof(long) ||
        type == typeof(double) || type == typeof(decimal) || type == typeof(TimeSpan) || type == typeof(AbsolutePath);

    private static object ConvertScalar(string text, Type type, string parameter, string rootDirectory)
    {
        var scalar = Nullable.GetUnderlyingType(type) ?? type;
        var value = scalar switch
        {
            _ when scalar == typeof(string) => text,
            _ when scalar.IsEnum => ParseEnum(scalar, text),
            _ when scalar == typeof(bool) => ParseBool(text),
            _ when scalar == typeof(int) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : null,
            _ when scalar == typeof(long) => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : null,
            _ when scalar == typeof(double) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null,
            _ when scalar == typeof(decimal) => decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var m) ? m : null,
            _ when scalar == typeof(TimeSpan) => ParseDuration(text),
            _ when scalar == typeof(AbsolutePath) => text.Length > 0 ? AbsolutePath.Create(text, rootDirectory) : null,
            _ => null,
        };
        return value ?? throw new UsageException($"bad value '{text}' for --{parameter}: expected {Describe(scalar)}");
    }

    /// <summary>A member by its name in any of its spellings: <c>local-swarm</c>, <c>local_swarm</c>, <c>LocalSwarm</c>.</summary>
    private static object? ParseEnum(Type type, string text) =>
        Enum.GetNames(type).FirstOrDefault(n => ParameterName.Normalize(n) == ParameterName.Normalize(text)) is { } name ? Enum.Parse(type, name) : null;

    private static object? ParseBool(string text) => text.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => null,
    };

    /// <summary>"90s", "2m", "1h30m", "500ms" or "00:01:30".</summary>
    private static object? ParseDuration(string text)
    {
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && text.Contains(':', StringComparison.Ordinal))
            return span;
        var total = TimeSpan.Zero;
        var rest = text.Trim();
        if (rest.Length == 0)
            return null;
        while (rest.Length > 0)
        {
            var digits = 0;
            while (digits < rest.Length && (char.IsDigit(rest[digits]) || rest[digits] == '.'))
                digits++;
            var unit = digits;
            while (unit < rest.Length && char.IsLetter(rest[unit]))
                unit++;
            if (digits == 0 || !double.TryParse(rest[..digits], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
                return null;
            Func<double, TimeSpan>? scale = rest[digits..unit] switch
            {
                "ms" => TimeSpan.FromMilliseconds,
                "s" or "" => TimeSpan.FromSeconds,
                "m" => TimeSpan.FromMinutes,
                "h" => TimeSpan.FromHours,
                _ => null,
            };
            if (scale is null)
                return null;
            total += scale(amount);
            rest = rest[unit..];
        }

        return total;
    }
}
