using System.Reflection;

namespace Slipway.Engine;

/// <summary>One [Parameter] member of a build, and the value it ended up with.</summary>
public sealed class BuildParameter
{
    private readonly MemberInfo member;

    internal BuildParameter(MemberInfo member, ParameterAttribute attribute)
    {
        this.member = member;
        Name = ParameterName.ToPascal(attribute.Name ?? member.Name);
        Description = attribute.Description;
        EnvironmentVariable = attribute.EnvironmentVariable ?? ParameterName.ToUpperSnake(Name);
        IsSecret = member.GetCustomAttribute<SecretAttribute>() is not null;
        Type = member switch
        {
            FieldInfo f => f.FieldType,
            PropertyInfo p => p.PropertyType,
            _ => throw new InvalidOperationException($"{member.Name} is neither field nor property"),
        };
        if (!ValueConverter.IsSupported(Type))
            throw new InvalidOperationException($"parameter {member.DeclaringType?.Name}.{member.Name} has unsupported type {Type.Name}");
    }

    /// <summary>PascalCase, as in .nuke/parameters.json.</summary>
    public string Name { get; }

    public string CommandLineName => ParameterName.ToKebab(Name);

    public string EnvironmentVariable { get; }

    public string Description { get; }

    public Type Type { get; }

    public bool IsSecret { get; }

    /// <summary>Where the value came from: default, a file, an environment variable or the command line.</summary>
    public string Source { get; internal set; } = "default";

    internal string MemberName => member.Name;

    public object? GetValue(object build) => member switch
    {
        FieldInfo f => f.GetValue(build),
        PropertyInfo p => p.GetValue(build),
        _ => null,
    };

    internal void SetValue(object build, object? value)
    {
        switch (member)
        {
            case FieldInfo f:
                f.SetValue(build, value);
                break;
            case PropertyInfo p when p.SetMethod is not null:
                p.SetValue(build, value);
                break;
            case PropertyInfo p:
                // get-only auto-property: write its backing field
                var backing = p.DeclaringType!.GetField($"<{p.Name}>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic)
                    ?? throw new InvalidOperationException($"parameter {p.Name} has no setter");
                backing.SetValue(build, value);
                break;
        }
    }

    internal bool HasValue(object build) => GetValue(build) switch
    {
        null => false,
        string s => s.Length > 0,
        Array a => a.Length > 0,
        _ => true,
    };

    /// <summary>The value as --help and logs may show it; secrets are never shown.</summary>
    public string Display(object build)
    {
        if (IsSecret)
            return HasValue(build) ? "****" : "";
        return GetValue(build) switch
        {
            null => "",
            Array a => string.Join(',', a.Cast<object>()),
            Enum e => ParameterName.ToKebab(e.ToString()),
            bool b => b ? "true" : "false",
            TimeSpan t => t.ToString(),
            var v => v.ToString() ?? "",
        };
    }

    internal static IReadOnlyList<BuildParameter> Discover(Type buildType)
    {
        var found = new List<BuildParameter>();
        for (var type = buildType; type is not null && type != typeof(object); type = type.BaseType)
        {
            const BindingFlags flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
            foreach (var member in type.GetFields(flags).Cast<MemberInfo>().Concat(type.GetProperties(flags)))
            {
                if (member.GetCustomAttribute<ParameterAttribute>() is { } attribute)
                    found.Add(new BuildParameter(member, attribute));
            }
        }

        var duplicate = found.GroupBy(p => ParameterName.Normalize(p.Name)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"two parameters are named {duplicate.First().Name}");
        return found;
    }
}
