using System.Diagnostics;
using System.Globalization;
using System.Text;
using Slipway.Delivery.Images;
using Slipway.Tools.Docker;

// BuildImages benchmark (issue 4). Measures, on the engine at DOCKER_HOST:
//  1. a cold BuildImages (no image with the inputs hash, no layer cache) against a second run with
//     unchanged inputs at a new commit (target: second / cold <= 0.05);
//  2. the size of our multi-stage API image against a single-stage SDK image of the same app
//     (target: ratio <= 0.5).
// Base images come from the mirror SLIPWAY_TEST_REGISTRY when set (as CI seeds it), else the engine.
var root = FindRoot();
var report = Path.Combine(root, "artifacts", "benchmarks", "images.md");
var mirror = Environment.GetEnvironmentVariable("SLIPWAY_TEST_REGISTRY") is { Length: > 0 } r ? r : null;
var auth = mirror is not null && Environment.GetEnvironmentVariable("SLIPWAY_TEST_REGISTRY_PASSWORD") is { Length: > 0 } password
    ? new RegistryAuth(Environment.GetEnvironmentVariable("SLIPWAY_TEST_REGISTRY_USER") ?? "AWS", password, mirror)
    : null;

using var docker = new DockerClient();
var engine = await docker.System.VersionAsync();
var plan = ImagePlan.Load(Path.Combine(root, ImagePlan.DefaultPath));
var api = plan.Images.Single(i => i.Name == "slipway-api");
var catalog = BaseImageCatalog.Load(Path.Combine(root, BaseImageCatalog.DefaultPath));
var builder = new ImageBuilder(docker);
void Log(string line) => Console.WriteLine(line);

// A benchmark-only repository name keeps the shipped image's tags and reuse state untouched.
var spec = api with { Name = "slipway-benchmark/api" };
var benchPlan = new ImagePlan([spec]);
foreach (var old in await docker.Images.ListAsync(new ImageListFilter { Labels = [$"{ImageBuilder.NameLabel}={spec.Name}"] }))
    await docker.Images.RemoveAsync(old.Id, force: true);

BuildImagesRequest Request(string sha, bool noCache) =>
    new(root, benchPlan, catalog, new ImageVersion("0.0.0-bench", sha), DateTimeOffset.UtcNow, mirror, auth, NoCache: noCache);

var cold = Stopwatch.StartNew();
var coldResult = (await builder.BuildAsync(Request("c01d000", noCache: true), Log)).Single();
cold.Stop();
var warm = Stopwatch.StartNew();
var warmResult = (await builder.BuildAsync(Request("5ec0d00", noCache: false), Log)).Single();
warm.Stop();
if (coldResult.Reused || !warmResult.Reused || warmResult.ImageId != coldResult.ImageId)
    throw new InvalidOperationException("the second build did not reuse the first image; the benchmark is void");

// The single-stage comparison, same app, same SDK base image.
var sdk = catalog.Resolve("sdk", mirror);
var singleTag = "slipway-benchmark/api-single-stage:latest";
var single = Stopwatch.StartNew();
await using (var context = await BuildContext.CreateAsync(root, "tests/Benchmarks/images.single-stage.Dockerfile"))
{
    await docker.Images.BuildAsync(context.Archive, new ImageBuildParameters
    {
        Tags = [singleTag],
        Dockerfile = context.Dockerfile,
        BuildArgs = new Dictionary<string, string> { ["SDK_IMAGE"] = sdk },
        RegistryAuths = auth is null ? [] : [auth],
    }, line => Log($"single-stage: {line}"));
}

single.Stop();
var singleSize = (await docker.Images.InspectAsync(singleTag)).Size;
await docker.Images.RemoveAsync(singleTag, force: true);

var timeRatio = warm.Elapsed / cold.Elapsed;
var sizeRatio = (double)coldResult.Size / singleSize;
string Mb(long bytes) => (bytes / 1_000_000.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB";
string S(TimeSpan t) => t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";
string Pass(bool ok) => ok ? "met" : "MISSED";

var md = new StringBuilder()
    .AppendLine("# BuildImages benchmark")
    .AppendLine()
    .AppendLine(CultureInfo.InvariantCulture, $"Engine {engine.Version} (API {engine.ApiVersion}), {Environment.ProcessorCount} CPUs; base images from {mirror ?? "the local engine"}; measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.")
    .AppendLine()
    .AppendLine("| Measure | Value | Target | |")
    .AppendLine("|---|---|---|---|")
    .AppendLine(CultureInfo.InvariantCulture, $"| Cold BuildImages (no cache) | {S(cold.Elapsed)} | | |")
    .AppendLine(CultureInfo.InvariantCulture, $"| Second BuildImages, inputs unchanged (re-tag) | {S(warm.Elapsed)} | | |")
    .AppendLine(CultureInfo.InvariantCulture, $"| Time ratio second / cold | {timeRatio:0.0000} | <= 0.05 | {Pass(timeRatio <= 0.05)} |")
    .AppendLine(CultureInfo.InvariantCulture, $"| API image (multi-stage, ASP.NET runtime) | {Mb(coldResult.Size)} | | |")
    .AppendLine(CultureInfo.InvariantCulture, $"| Same app, single-stage SDK image ({S(single.Elapsed)} to build) | {Mb(singleSize)} | | |")
    .AppendLine(CultureInfo.InvariantCulture, $"| Size ratio multi / single | {sizeRatio:0.000} | <= 0.5 | {Pass(sizeRatio <= 0.5)} |")
    .AppendLine()
    .AppendLine("Sizes are the engine's uncompressed image sizes. The base images are this repository's look-alikes")
    .AppendLine("(docker/scripts/seed-base-images.sh), so absolute sizes differ from upstream's; the ratio is what compares.");
Directory.CreateDirectory(Path.GetDirectoryName(report)!);
await File.WriteAllTextAsync(report, md.ToString());
Console.WriteLine(md);
return timeRatio <= 0.05 && sizeRatio <= 0.5 ? 0 : 1;

static string FindRoot()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Slipway.sln")))
            return dir.FullName;
    }

    throw new InvalidOperationException("run from inside the Slipway repository");
}
