using System.Diagnostics;
using System.Globalization;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Images;

/// <summary>What BuildImages needs, all explicit.</summary>
/// <param name="RepositoryRoot">Where docker/, src/ and the plan's paths are relative to.</param>
/// <param name="ImageMirror">Rewrites every base image to this registry (host[:port][/prefix]), or null.</param>
/// <param name="MirrorAuth">Credentials for the mirror, to pull base images from it.</param>
/// <param name="SourceDateEpoch">The commit's committer time: org.opencontainers.image.created, the image's created time,
/// and the latest file time in the layers the build makes (see <see cref="ReproducibleImage"/>).</param>
/// <param name="SourceUrl">Stamped into org.opencontainers.image.source.</param>
/// <param name="NoCache">Build every step afresh (no layer cache), as a cold build.</param>
/// <param name="Registry">Where PushEcr pushes: an image missing on the engine is pulled from its inputs tag there instead of rebuilt.</param>
public sealed record BuildImagesRequest(
    string RepositoryRoot,
    ImagePlan Plan,
    BaseImageCatalog BaseImages,
    ImageVersion Version,
    DateTimeOffset SourceDateEpoch,
    string? ImageMirror = null,
    RegistryAuth? MirrorAuth = null,
    string? SourceUrl = null,
    bool NoCache = false,
    RegistryAuth? Registry = null);

/// <summary>One line of the BuildImages summary.</summary>
public sealed record ImageBuildResult(string Name, string Tag, string ImageId, long Size, bool Reused, TimeSpan Duration, string InputsHash)
{
    public string Reference => $"{Name}:{Tag}";
}

/// <summary>An image of the plan before anything is built, as a dry run shows it.</summary>
/// <param name="InputsHash">The hash of its inputs, or null when a base image is not on the engine yet (<paramref name="Unknown"/> says which).</param>
/// <param name="OnEngine">An image with these inputs is on the engine: the build re-tags it instead of building.</param>
public sealed record PlannedImage(string Name, string Tag, string? InputsHash, bool OnEngine, string? Unknown)
{
    public string Reference => $"{Name}:{Tag}";
}

/// <summary>
/// Builds every image of the plan and tags it with the immutable version tag. The content hash of the
/// inputs is kept as a label; when an image with the same hash exists, the build is skipped and that
/// image is re-tagged instead. A build's steps are shown by <paramref name="progress"/> (by default not at all).
/// </summary>
public sealed class ImageBuilder(DockerClient docker, ProgressDisplay? progress = null)
{
    /// <summary>Build arguments stamped on every image; they do not enter the inputs hash.</summary>
    public static readonly IReadOnlySet<string> StampArgs = new HashSet<string>(StringComparer.Ordinal) { "GIT_SHA", "CREATED", "SOURCE_DATE_EPOCH" };

    public async Task<IReadOnlyList<ImageBuildResult>> BuildAsync(BuildImagesRequest request, Action<string> log, CancellationToken ct = default)
    {
        var results = new List<ImageBuildResult>();
        foreach (var spec in request.Plan.Images)
            results.Add(await BuildOneAsync(request, spec, log, ct).ConfigureAwait(false));
        return results;
    }

    /// <summary>Each image's tag and inputs hash, and whether the engine has it: pulls, builds and tags nothing.</summary>
    public async Task<IReadOnlyList<PlannedImage>> PlanAsync(BuildImagesRequest request, CancellationToken ct = default)
    {
        var planned = new List<PlannedImage>();
        foreach (var spec in request.Plan.Images)
        {
            var tag = request.Version.Tag;
            var (baseArgs, baseIds, _) = await ResolveBaseImagesAsync(request, spec, pullMissing: false, _ => { }, ct).ConfigureAwait(false);
            if (spec.BaseImages?.Keys.FirstOrDefault(arg => !baseIds.ContainsKey(arg)) is { } missing)
            {
                planned.Add(new PlannedImage(spec.Name, tag, null, false, $"base image {request.BaseImages.Resolve(spec.BaseImages[missing], request.ImageMirror)} is not on the engine yet"));
                continue;
            }

            await using var context = await BuildContext.CreateAsync(Path.GetFullPath(spec.Context, request.RepositoryRoot), Path.GetFullPath(spec.Dockerfile, request.RepositoryRoot), ct).ConfigureAwait(false);
            var hash = await InputsHash.ComputeAsync(context, ContentArgs(request, spec, baseArgs), baseIds, spec.Target, ct).ConfigureAwait(false);
            var local = await docker.Images.ListAsync(new ImageListFilter { Labels = [$"{InputsHash.Label}={hash}", $"{NameLabel}={spec.Name}"] }, ct).ConfigureAwait(false);
            planned.Add(new PlannedImage(spec.Name, tag, hash, local.Count > 0, null));
        }

        return planned;
    }

    /// <summary>The build arguments that enter the inputs hash: the plan's, the base images and the version.</summary>
    private static Dictionary<string, string> ContentArgs(BuildImagesRequest request, ImageSpec spec, Dictionary<string, string> baseArgs)
    {
        var args = new Dictionary<string, string>(spec.BuildArgs ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (arg, reference) in baseArgs)
            args[arg] = reference;
        args["APP_VERSION"] = request.Version.SemVer;
        return args;
    }

    private async Task<ImageBuildResult> BuildOneAsync(BuildImagesRequest request, ImageSpec spec, Action<string> log, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var tag = request.Version.Tag;
        var contextDirectory = Path.GetFullPath(spec.Context, request.RepositoryRoot);
        var dockerfile = Path.GetFullPath(spec.Dockerfile, request.RepositoryRoot);

        var (baseArgs, baseIds, baseCreated) = await ResolveBaseImagesAsync(request, spec, pullMissing: true, log, ct).ConfigureAwait(false);
        var contentArgs = ContentArgs(request, spec, baseArgs);

        await using var context = await BuildContext.CreateAsync(contextDirectory, dockerfile, ct).ConfigureAwait(false);
        var hash = await InputsHash.ComputeAsync(context, contentArgs, baseIds, spec.Target, ct).ConfigureAwait(false);

        var existing = await FindAsync(request, spec, hash, log, ct).ConfigureAwait(false);
        string id;
        bool reused;
        if (existing is not null)
        {
            id = existing;
            reused = true;
            await docker.Images.TagAsync(id, spec.Name, tag, ct).ConfigureAwait(false);
            log($"{spec.Name}: inputs unchanged ({hash[..19]}), re-tagged {id[..19]} as {spec.Name}:{tag}");
        }
        else
        {
            var args = new Dictionary<string, string>(contentArgs, StringComparer.Ordinal)
            {
                ["GIT_SHA"] = request.Version.Commit,
                ["CREATED"] = ReproducibleImage.Format(request.SourceDateEpoch),
                ["SOURCE_DATE_EPOCH"] = request.SourceDateEpoch.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            };
            if (request.SourceUrl is { } source)
                args["SOURCE_URL"] = source;
            // The engine's build log is kept back: one line per image on success, its last lines when the build fails.
            // Each of its lines is also the build's progress, under the step it belongs to ("Step 9/24 · Restored ...").
            var buildLog = new Queue<string>();
            var step = "";
            var built = "";
            try
            {
                await (progress ?? PlainProgress.Through(log))(
                    $"{spec.Name}: building {spec.Dockerfile} ({context.Files.Count} files in context, inputs {hash[..19]})",
                    async events => built = await BuildImageAsync(context, spec, args, baseIds, dockerfile, request, line =>
                    {
                        buildLog.Enqueue(line);
                        if (buildLog.Count > FailureLogLines)
                            buildLog.Dequeue();
                        if (line.StartsWith("Step ", StringComparison.Ordinal))
                        {
                            step = line.Split(" :")[0];
                            events.Report(line);
                        }
                        else if (!line.TrimStart().StartsWith("--->", StringComparison.Ordinal))
                        {
                            // "---> Running in 2d7d..." and "---> 36ff..." name the builder's containers and layers: no progress to a person.
                            events.Report(step.Length == 0 ? line : $"{step} · {line.Trim()}");
                        }
                    }, ct).ConfigureAwait(false)).ConfigureAwait(false);
            }
            catch (DockerStreamException)
            {
                foreach (var line in buildLog)
                    log($"{spec.Name}: {line}");
                throw;
            }

            // Only the rewritten image carries the inputs hash, so the builder's own (time-stamped) one is never reused.
            id = await ReproducibleImage.NormaliseAsync(docker, built, $"{spec.Name}:{tag}", request.SourceDateEpoch, baseCreated,
                new Dictionary<string, string> { [InputsHash.Label] = hash }, ct).ConfigureAwait(false);
            reused = false;
        }

        await docker.Images.TagAsync(id, spec.Name, InputsHash.RegistryTag(hash), ct).ConfigureAwait(false);
        var image = await docker.Images.InspectAsync(id, ct).ConfigureAwait(false);
        var result = new ImageBuildResult(spec.Name, tag, image.Id, image.Size, reused, clock.Elapsed, hash);
        log($"{result.Reference}: {(reused ? "reused" : "built")}, {image.Size / 1_000_000.0:0.0} MB, {clock.Elapsed.TotalSeconds:0.0} s");
        return result;
    }

    /// <summary>Label naming which plan entry an image was built for, so two images with equal inputs stay apart.</summary>
    public const string NameLabel = "io.slipway.image";

    /// <summary>
    /// What an image runs on: the ids of its base images and a hash of its Dockerfile ("NGINX_BASE=sha256:...,dockerfile=..."),
    /// as opposed to the files its build context adds. A deploy hands a proxy's new configuration to the running nginx, but a
    /// new runtime needs a new container.
    /// </summary>
    public const string RuntimeLabel = "io.slipway.runtime";

    public static string Runtime(IReadOnlyDictionary<string, string> baseIds, string dockerfileText) =>
        string.Join(',', baseIds.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => $"{b.Key}={b.Value}")
            .Append($"dockerfile={Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(dockerfileText.ReplaceLineEndings("\n"))))[..16]}"));

    /// <summary>
    /// The image with these inputs: on the engine, else pulled from the registry's inputs tag (an image PushEcr pushed
    /// before, e.g. removed here since); null when neither has it. The registry is a cache: when it fails, the image is built.
    /// </summary>
    private async Task<string?> FindAsync(BuildImagesRequest request, ImageSpec spec, string hash, Action<string> log, CancellationToken ct)
    {
        var local = await docker.Images.ListAsync(new ImageListFilter { Labels = [$"{InputsHash.Label}={hash}", $"{NameLabel}={spec.Name}"] }, ct).ConfigureAwait(false);
        if (local.Count > 0)
            return local[0].Id;
        if (request.Registry is not { } registry)
            return null;

        var remote = $"{registry.ServerAddress}/{spec.Name}:{InputsHash.RegistryTag(hash)}";
        try
        {
            await docker.Images.PullAsync(remote, registry, null, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DockerApiException or DockerStreamException)
        {
            log($"{spec.Name}: not in the registry by its inputs ({e.Message.Split('\n')[0]}), building");
            return null;
        }

        var pulled = await docker.Images.InspectAsync(remote, ct).ConfigureAwait(false);
        if (pulled.Labels.GetValueOrDefault(InputsHash.Label) != hash || pulled.Labels.GetValueOrDefault(NameLabel) != spec.Name)
        {
            log($"{spec.Name}: {remote} is labelled with other inputs, building");
            return null;
        }

        log($"{spec.Name}: pulled {remote} (built before from the same inputs)");
        return pulled.Id;
    }

    /// <summary>
    /// Base image build args (mirrored when a mirror is set), the ids they resolve to, and the newest one's creation time;
    /// pulls what is missing, unless <paramref name="pullMissing"/> is false (a plan): then it is left out.
    /// </summary>
    private async Task<(Dictionary<string, string> Args, Dictionary<string, string> Ids, DateTimeOffset Created)> ResolveBaseImagesAsync(
        BuildImagesRequest request, ImageSpec spec, bool pullMissing, Action<string> log, CancellationToken ct)
    {
        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        var created = DateTimeOffset.MinValue;
        foreach (var (arg, name) in spec.BaseImages ?? new Dictionary<string, string>())
        {
            var reference = request.BaseImages.Resolve(name, request.ImageMirror);
            var image = await docker.Images.TryInspectAsync(reference, ct).ConfigureAwait(false);
            if (image is null && !pullMissing)
                continue;
            if (image is null)
            {
                await (progress ?? PlainProgress.Through(log))($"{spec.Name}: pulling base image {reference}",
                    events => docker.Images.PullAsync(reference, request.MirrorAuth, events.Report, ct)).ConfigureAwait(false);
                image = await docker.Images.InspectAsync(reference, ct).ConfigureAwait(false);
            }

            args[arg] = reference;
            ids[arg] = image.Id;
            if (image.Created is { } time && ReproducibleImage.ParseEngineTime(time) > created)
                created = ReproducibleImage.ParseEngineTime(time);
        }

        return (args, ids, created);
    }

    private const int FailureLogLines = 30;

    // Untagged: the image gets its name once rewritten by ReproducibleImage.
    private Task<string> BuildImageAsync(BuildContext context, ImageSpec spec, Dictionary<string, string> args, Dictionary<string, string> baseIds, string dockerfile, BuildImagesRequest request, Action<string> log, CancellationToken ct) =>
        docker.Images.BuildAsync(context.Archive, new ImageBuildParameters
        {
            Dockerfile = context.Dockerfile,
            BuildArgs = args,
            Labels = new Dictionary<string, string> { [NameLabel] = spec.Name, [RuntimeLabel] = Runtime(baseIds, File.ReadAllText(dockerfile)) },
            Target = spec.Target,
            NoCache = request.NoCache,
            RegistryAuths = request.MirrorAuth is { } auth ? [auth] : [],
        }, log, ct);
}
