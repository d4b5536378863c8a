using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Engine;

/// <summary>Writes <c>.nuke/build.schema.json</c> so editors complete and check <c>parameters.json</c>.</summary>
internal static class BuildSchema
{
    public static string Render(IReadOnlyList<BuildParameter> parameters)
    {
        var properties = new JsonObject { ["$schema"] = new JsonObject { ["type"] = "string" } };
        foreach (var parameter in parameters.Where(p => !p.IsSecret).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var property = TypeSchema(parameter.Type);
            property["description"] = parameter.Description;
            properties[parameter.Name] = property;
        }

        var schema = new JsonObject
        {
            ["$schema"] = "http://json-schema.org/draft-07/schema#",
            ["title"] = "Build parameters (.nuke/parameters.json and .nuke/parameters.<environment>.json)",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["properties"] = properties,
        };
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
    }

    /// <summary>Writes the schema only when its content changed, so a no-op build touches nothing.</summary>
    public static void Write(AbsolutePath file, IReadOnlyList<BuildParameter> parameters)
    {
        var content = Render(parameters);
        if (!File.Exists(file) || File.ReadAllText(file) != content)
            File.WriteAllText(file, content);
    }

    private static JsonObject TypeSchema(Type type)
    {
        if (type.IsArray)
            return new JsonObject { ["type"] = "array", ["items"] = TypeSchema(type.GetElementType()!) };
        var scalar = Nullable.GetUnderlyingType(type) ?? type;
        if (scalar.IsEnum)
        {
            var values = new JsonArray();
            foreach (var name in Enum.GetNames(scalar))
                values.Add(ParameterName.ToKebab(name));
            return new JsonObject { ["type"] = "string", ["enum"] = values };
        }

        var kind = scalar == typeof(bool) ? "boolean"
            : scalar == typeof(int) || scalar == typeof(long) ? "integer"
            : scalar == typeof(double) || scalar == typeof(decimal) ? "number"
            : "string";
        return new JsonObject { ["type"] = kind };
    }
}
