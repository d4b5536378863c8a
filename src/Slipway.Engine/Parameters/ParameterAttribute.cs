namespace Slipway.Engine;

/// <summary>
/// A build parameter, bound from the command line (<c>--kebab-case</c>), an environment variable
/// (<c>UPPER_SNAKE_CASE</c>), <c>.nuke/parameters.&lt;environment&gt;.json</c> or <c>.nuke/parameters.json</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class ParameterAttribute(string description = "") : Attribute
{
    public string Description { get; } = description;

    /// <summary>The parameter's name, when the member's own name would not do.</summary>
    public string? Name { get; init; }
}

/// <summary>A parameter whose value is masked in every line the build prints, and never read from files.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class SecretAttribute : Attribute;
