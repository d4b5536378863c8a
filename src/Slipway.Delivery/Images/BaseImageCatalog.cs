using System.Text.Json;

namespace Slipway.Delivery.Images;

/// <summary>The pinned base images (docker/base-images.json): logical name → reference.</summary>
public sealed class BaseImageCatalog
{
    public const string DefaultPath = "docker/base-images.json";

    private readonly IReadOnlyDictionary<string, string> references;

    public BaseImageCatalog(IReadOnlyDictionary<string, string> references) => this.references = references;

    public IEnumerable<string> Names => references.Keys;

    public static BaseImageCatalog Load(string path)
    {
        if (!File.Exists(path))
            throw new ImagePlanException($"base image list {path} not found");
        try
        {
            var map = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path))
                ?? throw new ImagePlanException($"{path} is empty");
            return new BaseImageCatalog(map);
        }
        catch (JsonException e)
        {
            throw new ImagePlanException($"{path} is not a JSON object of name → image reference: {e.Message}");
        }
    }

    /// <summary>The pinned reference, rewritten to the mirror when one is given.</summary>
    public string Resolve(string name, string? mirror = null) =>
        references.TryGetValue(name, out var reference)
            ? ImageMirror.Rewrite(reference, mirror)
            : throw new ImagePlanException($"base image '{name}' is not in {DefaultPath} (known: {string.Join(", ", references.Keys)})");
}
