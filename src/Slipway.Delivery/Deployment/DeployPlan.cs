using Slipway.Delivery.Environments;
using Slipway.Tools.Docker;

namespace Slipway.Delivery.Deployment;

/// <summary>What a deploy is asked to do: the configuration half of configuration → plan → actions.</summary>
/// <param name="AppImage">The app image by digest in the environment's registry (repository@sha256:...).</param>
/// <param name="Version">The version the app reports on /health, exactly as Releases lists it.</param>
/// <param name="Variables">Values for the compose files' ${VARIABLES} beyond the environment file's (secrets resolved by name).</param>
/// <param name="RegistryAuth">Credentials to pull from the environment's registry, or null when it needs none.</param>
public sealed record DeployRequest(
    DeployEnvironment Environment,
    string RepositoryRoot,
    string Version,
    string AppImage,
    RegistryAuth? RegistryAuth,
    IReadOnlyDictionary<string, string> Variables)
{
    /// <summary>
    /// The release phase's command: arguments for one container from <see cref="AppImage"/> (after its entrypoint),
    /// run on the app's networks with the app's environment before any app container changes, e.g. ["migrate"].
    /// Null: no release phase. See <see cref="ReleasePhase"/>.
    /// </summary>
    public IReadOnlyList<string>? ReleaseCommand { get; init; }

    public LockHolder Who { get; init; } = LockHolder.Current();

    /// <summary>Allows the deploy to recreate PostgreSQL, Redis or nginx's runtime when their specification changed.</summary>
    public bool RecreateInfrastructure { get; init; }

    /// <summary>
    /// How the plan names the images it deploys (reference → name). A digest is known once an image is pushed, its
    /// repository:tag before it is built: naming images by tag makes a dry run print the plan the real run prints.
    /// </summary>
    public IReadOnlyDictionary<string, string> ImageNames { get; init; } = new Dictionary<string, string>();
}

/// <summary>The plan of one blue-green deploy: which images, which colours, which infrastructure; printable before anything runs.</summary>
public sealed record BlueGreenPlan(
    DeployRequest Request,
    ComposeStack Stack,
    string? LiveColour,
    string NewColour,
    IReadOnlyList<ComposeService> Infrastructure,
    ComposeService App,
    ComposeService Proxy) : IReleasePlan
{
    public string Version => Request.Version;

    public string AppImage => Request.AppImage;

    public string Colour => NewColour;

    public IReadOnlyDictionary<string, string> Images => new Dictionary<string, string> { [App.Name] = AppImage, [Proxy.Name] = Proxy.Image };

    public bool Replaces => LiveColour is not null;

    public string Summary => $"{LiveColour ?? "(none)"} → {NewColour}";

    public IEnumerable<string> Describe()
    {
        var environment = Request.Environment;
        var names = environment.Names;
        yield return $"environment  {names.Environment} ({environment.Strategy}, project {names.Stack})";
        yield return $"app          {App.Name} {Version} = {Named(AppImage)}";
        yield return $"colours      {LiveColour ?? "(none live)"} → {NewColour}";
        foreach (var service in Infrastructure)
            yield return $"ensure       {service.Name} = {Named(service.Image)}";
        yield return $"proxy        {Proxy.Name} takes the configuration of {Named(Proxy.Image)} and upstream {environment.Compose.UpstreamFile} → {names.Container($"{App.Name}-{NewColour}")}:{environment.Compose.AppPort} in one graceful reload ({(LiveColour is null ? "created on first deploy" : "not restarted")})";
        yield return $"then         health ≤ {environment.Health.Timeout.TotalSeconds:0} s, smoke direct, through nginx's check listener and via {environment.PublicUrl}, drain {environment.Drain.TotalSeconds:0} s, stop {LiveColour ?? "nothing"} (kept for rollback)";
    }

    private string Named(string image) => Request.ImageNames.GetValueOrDefault(image, image);
}

/// <summary>
/// A rollback before it runs: the release it leaves, the one it goes back to, and the strategy's steps. A dry run
/// prints it; the rollback prints it too, then carries it out.
/// </summary>
/// <param name="Colour">Where the release goes, as the ledger's colour column says (see <see cref="IReleasePlan.Colour"/>).</param>
public abstract record RollbackPlan(RollbackChoice Choice, string Colour, IReadOnlyList<string> Steps)
{
    public IEnumerable<string> Describe() =>
        [$"rollback     {Choice.Current?.Version ?? "(no release serving)"} → {Choice.Target.Version}, deployed {Choice.Target.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC by {Choice.Target.Who}", .. Steps];
}

/// <summary>The outcome of a deploy or rollback, for the build summary.</summary>
public sealed record DeployResult(Release Release, string? FromColour, string ToColour, TimeSpan HealthyAfter, TimeSpan Duration)
{
    /// <summary>The strategy's own one-line account, when colours do not tell it (a swarm's rolling update).</summary>
    public string? Described { get; init; }

    public string Summary => Described ??
        $"{FromColour ?? "(none)"} → {ToColour}: healthy in {HealthyAfter.TotalSeconds:0.0} s, switched{(FromColour is null ? "" : $", {FromColour} drained")}";
}

public static class Colours
{
    public const string Blue = "blue";
    public const string Green = "green";

    public static string Other(string? colour) => colour == Blue ? Green : Blue;

    /// <summary>The colour of an upstream server name such as "slipway-local-api-green:8080".</summary>
    public static string? Of(string? server) =>
        server?.Split(':')[0] switch
        {
            { } host when host.EndsWith("-" + Blue, StringComparison.Ordinal) => Blue,
            { } host when host.EndsWith("-" + Green, StringComparison.Ordinal) => Green,
            _ => null,
        };
}
