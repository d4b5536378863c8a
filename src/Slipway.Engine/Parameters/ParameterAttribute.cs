namespace Slipway.Engine;

/// <summary>
/// A build parameter, bound from the command line (<c>--kebab-case</c>), an environment variable
/// (<c>UPPER_SNAKE_CASE</c>, or <see cref="EnvironmentVariable"/>), <c>.nuke/parameters.&lt;environment&gt;.json</c> or <c>.nuke/parameters.json</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class ParameterAttribute(string description = "") : Attribute
{
    public string Description { get; } = description;

    /// <summary>The parameter's name, when the member's own name would not do.</summary>
    public string? Name { get; init; }

    /// <summary>
    /// The environment variable it is read from, when <c>UPPER_SNAKE_CASE</c> of its name is too common a name
    /// to be trusted (a shell with ENVIRONMENT=prod exported must not pick prod by accident).
    /// </summary>
    public string? EnvironmentVariable { get; init; }
}

/// <summary>A parameter whose value is masked in every line the build prints, and never read from files.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class SecretAttribute : Attribute;
