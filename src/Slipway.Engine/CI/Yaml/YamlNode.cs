namespace Slipway.Engine.CI.Yaml;

/// <summary>A YAML document node: a scalar, a mapping with ordered keys, or a sequence.</summary>
public abstract class YamlNode
{
    public static implicit operator YamlNode(string value) => new YamlScalar(value);
}

/// <summary>A string scalar; quoted when written only if YAML would read it as something else.</summary>
/// <param name="IsVerbatim">Written as is: for numbers and booleans meant as such (e.g. <c>timeout-minutes: 30</c>).</param>
public sealed class YamlScalar(string value, bool isVerbatim = false) : YamlNode
{
    public string Value { get; } = value;

    public bool IsVerbatim { get; } = isVerbatim;

    public static YamlScalar Number(int value) => new(value.ToString(System.Globalization.CultureInfo.InvariantCulture), isVerbatim: true);

    public static YamlScalar Boolean(bool value) => new(value ? "true" : "false", isVerbatim: true);
}

/// <summary>A mapping whose keys keep the order they were added in, so the output is stable.</summary>
public sealed class YamlMapping : YamlNode
{
    private readonly List<KeyValuePair<string, YamlNode>> entries = [];

    public IReadOnlyList<KeyValuePair<string, YamlNode>> Entries => entries;

    public int Count => entries.Count;

    public YamlMapping Add(string key, YamlNode value)
    {
        if (entries.Any(e => e.Key == key))
            throw new InvalidOperationException($"duplicate YAML key '{key}'");
        entries.Add(new(key, value));
        return this;
    }

    /// <summary>Adds the entry unless the value is null or an empty collection.</summary>
    public YamlMapping AddIfAny(string key, YamlNode? value)
    {
        if (value is not null && value is not YamlMapping { Count: 0 } && value is not YamlSequence { Count: 0 })
            Add(key, value);
        return this;
    }
}

public sealed class YamlSequence : YamlNode
{
    private readonly List<YamlNode> items = [];

    public YamlSequence(IEnumerable<YamlNode>? items = null) => this.items.AddRange(items ?? []);

    public IReadOnlyList<YamlNode> Items => items;

    public int Count => items.Count;

    public YamlSequence Add(YamlNode item)
    {
        items.Add(item);
        return this;
    }

    public static YamlSequence Of(IEnumerable<string> values) => new(values.Select(v => (YamlNode)new YamlScalar(v)));
}
