using System.Text.Json;

namespace Slipway.Delivery.Images;

/// <summary>Which images we ship and how each is built (docker/images.json).</summary>
public sealed record ImagePlan(IReadOnlyList<ImageSpec> Images)
{
    public const string DefaultPath = "docker/images.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { ReadCommentHandling = JsonCommentHandling.Skip };

    public static ImagePlan Load(string path)
    {
        if (!File.Exists(path))
            throw new ImagePlanException($"image plan {path} not found");
        ImagePlan? plan;
        try
        {
            plan = JsonSerializer.Deserialize<ImagePlan>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new ImagePlanException($"{path}: {e.Message}");
        }

        if (plan?.Images is not { Count: > 0 })
            throw new ImagePlanException($"{path} lists no images");
        foreach (var image in plan.Images)
        {
            if (string.IsNullOrWhiteSpace(image.Name) || string.IsNullOrWhiteSpace(image.Dockerfile))
                throw new ImagePlanException($"{path}: every image needs a name and a dockerfile");
        }

        var duplicate = plan.Images.GroupBy(i => i.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ImagePlanException($"{path}: image '{duplicate.Key}' is listed twice");
        return plan;
    }
}

/// <param name="Name">The repository name the image is tagged with (e.g. slipway-api).</param>
/// <param name="Dockerfile">Relative to the repository root.</param>
/// <param name="Context">The build context folder, relative to the repository root.</param>
/// <param name="BaseImages">Dockerfile ARG name → logical name in docker/base-images.json.</param>
/// <param name="BuildArgs">Further fixed build arguments.</param>
/// <param name="Target">The stage to build, or null for the last.</param>
public sealed record ImageSpec(
    string Name,
    string Dockerfile,
    string Context = ".",
    IReadOnlyDictionary<string, string>? BaseImages = null,
    IReadOnlyDictionary<string, string>? BuildArgs = null,
    string? Target = null);

/// <summary>The image plan or base image list is unusable; the message says what to fix.</summary>
public sealed class ImagePlanException : Exception
{
    public ImagePlanException(string message)
        : base(message)
    {
    }
}
