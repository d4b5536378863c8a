namespace Slipway.Engine;

/// <summary>A normalized absolute path; <c>root / "src" / "Api"</c> combines.</summary>
public sealed record AbsolutePath
{
    private AbsolutePath(string value) => Value = value;

    public string Value { get; }

    public string Name => Path.GetFileName(Value);

    public AbsolutePath Parent => new(Path.GetDirectoryName(Value) ?? Value);

    public bool Exists => File.Exists(Value) || Directory.Exists(Value);

    public static AbsolutePath Create(string path, string? relativeTo = null) =>
        new(Path.GetFullPath(path, relativeTo ?? Directory.GetCurrentDirectory()).TrimEnd(Path.DirectorySeparatorChar) is { Length: > 0 } p ? p : "/");

    public static AbsolutePath operator /(AbsolutePath left, string right) => Create(right, left.Value);

    public static implicit operator string(AbsolutePath path) => path.Value;

    /// <summary>This path relative to <paramref name="basePath"/>, with forward slashes.</summary>
    public string RelativeTo(AbsolutePath basePath) => Path.GetRelativePath(basePath.Value, Value).Replace('\\', '/');

    public AbsolutePath CreateDirectory()
    {
        Directory.CreateDirectory(Value);
        return this;
    }

    public override string ToString() => Value;
}
