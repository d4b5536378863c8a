using Slipway.Delivery.Tests.Deployment.TestStack;

namespace Slipway.Benchmarks.Deploy;

/// <summary>What serves: the app's version and the edge (nginx) release that answered with it (its X-Edge-Release header).</summary>
internal sealed record Serving(string Version, string Edge)
{
    public override string ToString() => $"{Version} / {Edge}";
}

/// <summary>
/// The builds every side ships, made once as the zero-downtime tests make them and pushed to the registry: five app
/// builds (the fourth exits at start) and four edge builds, each a new commit's nginx (a new X-Edge-Release header and
/// landing page; the fourth answers without the security headers, so it fails the smoke checks through nginx).
/// </summary>
internal sealed record Releases(string V1, string V2, string V3, string Crashing, string V5, string Edge1, string Edge2, string Edge3, string BrokenEdge)
{
    public const string Version1 = "1.0.0+aaaaaaa";
    public const string Version2 = "2.0.0+bbbbbbb";
    public const string Version3 = "3.0.0+ccccccc";
    public const string Version4 = "4.0.0+ddddddd";
    public const string Version5 = "5.0.0+eeeeeee";
    public const string E1 = "e1";
    public const string E2 = "e2";
    public const string E3 = "e3";
    public const string EBroken = "e4-broken";

    public IEnumerable<string> Images => [V1, V2, V3, Crashing, V5, Edge1, Edge2, Edge3, BrokenEdge];

    public static async Task<Releases> PushAsync(DeployTestStack stack) => new(
        await stack.PushAppAsync(Version1),
        await stack.PushAppAsync(Version2),
        await stack.PushAppAsync(Version3),
        await stack.PushAppAsync(Version4, crashes: true),
        await stack.PushAppAsync(Version5),
        await stack.PushEdgeAsync(E1),
        await stack.PushEdgeAsync(E2),
        await stack.PushEdgeAsync(E3),
        await stack.PushEdgeAsync(EBroken, withoutSecurityHeaders: true));
}
