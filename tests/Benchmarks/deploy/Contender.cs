using System.Diagnostics;
using Slipway.Delivery.Deployment.SmokeTests;
using Slipway.Delivery.Tests.Deployment.TestStack;

namespace Slipway.Benchmarks.Deploy;

/// <summary>One timed change and what must serve once it is done.</summary>
/// <param name="Run">The change; returns null when it went as such a change must, else what happened instead (for the report).</param>
/// <param name="Undo">When <paramref name="Run"/> went otherwise: puts the side back on <paramref name="After"/> (untimed, without load), so the next change starts where it should.</param>
internal sealed record Step(Change Change, Serving After, Func<Task<string?>> Run, Func<Task>? Undo = null)
{
    /// <summary>A change that goes as it must or throws.</summary>
    public Step(Change change, Serving after, Func<Task> run)
        : this(change, after, async () =>
        {
            await run();
            return null;
        })
    {
    }
}

/// <summary>One way of shipping every kind of change, already serving <see cref="Start"/> at <see cref="BaseUrl"/>; its steps run in their order.</summary>
/// <param name="Ours">Slipway's own: a single failed request under load fails the benchmark.</param>
/// <param name="Setup">How it was set up, a markdown paragraph for the report.</param>
internal sealed record Contender(string Name, bool Ours, Uri BaseUrl, string TrustedCaFile, string Setup, Serving Start, IReadOnlyList<Step> Steps)
{
    // Load runs a little before and after the timed call: a request that fails right after the
    // command returns (a proxy still sending to a stopped task) is the change's doing too.
    private static readonly TimeSpan LoadBefore = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LoadAfter = TimeSpan.FromSeconds(2);

    public async Task<ContenderResult> RunAsync(Action<string> log)
    {
        using var client = SmokeTester.CreateClient(TrustedCaFile);
        await WaitServingAsync(client, Start);
        var phases = new Dictionary<Change, PhaseResult>();
        foreach (var step in Steps)
        {
            log($"{Name}: {step.Change.Title().ToLowerInvariant()} under load, then {step.After} must serve");
            phases[step.Change] = await MeasureAsync(client, step, log);
        }

        return new ContenderResult(this, phases);
    }

    private async Task<PhaseResult> MeasureAsync(HttpClient client, Step step, Action<string> log)
    {
        var load = new LoadGenerator(client, BaseUrl);
        var clock = new Stopwatch();
        string? otherwise;
        await using (load)
        {
            await Task.Delay(LoadBefore);
            clock.Start();
            otherwise = await step.Run();
            clock.Stop();
            await Task.Delay(LoadAfter);
        }

        var served = new Serving(load.LastVersion ?? "nothing", load.LastEdgeRelease ?? "nothing");
        var result = new PhaseResult(clock.Elapsed, load.Succeeded, load.Failed, load.Fresh, load.Versions.ToDictionary(), load.EdgeReleases.ToDictionary(), served, load.Failures.ToArray(), otherwise);
        if (otherwise is null)
        {
            if (served != step.After)
                throw new InvalidOperationException($"{Name}, {step.Change.Title()}: {served} answered last, expected {step.After}; the benchmark is void");
            return result;
        }

        var undo = step.Undo ?? throw new InvalidOperationException($"{Name}, {step.Change.Title()}: {otherwise}, and nothing undoes it; the benchmark is void");
        log($"{Name}, {step.Change.Title()}: {otherwise}; {served} serves. Undoing it (untimed) to go on from {step.After}");
        await undo();
        await WaitServingAsync(client, step.After);
        return result;
    }

    /// <summary>Waits until the proxy answers with <paramref name="expected"/>, so a phase starts from a steady state.</summary>
    private async Task WaitServingAsync(HttpClient client, Serving expected)
    {
        var url = new Uri(BaseUrl, "/version");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await client.GetAsync(url);
                var body = await response.Content.ReadAsStringAsync();
                var edge = response.Headers.TryGetValues("X-Edge-Release", out var values) ? string.Join(",", values) : "";
                if (body.Contains($"\"{expected.Version}\"", StringComparison.Ordinal) && edge == expected.Edge)
                    return;
                last = $"{body} from edge {edge}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"{Name}: {url} did not answer {expected} within 60 s (last: {last})");
    }
}

/// <param name="Fresh">Requests that succeeded on a connection of their own (the others reuse keep-alive connections).</param>
/// <param name="After">What answered last, once the change was done.</param>
/// <param name="Otherwise">Null when the change went as it must; else what happened instead.</param>
internal sealed record PhaseResult(
    TimeSpan Duration, int Succeeded, int Failed, int Fresh, IReadOnlyDictionary<string, int> Versions, IReadOnlyDictionary<string, int> Edges, Serving After,
    IReadOnlyList<string> Failures, string? Otherwise)
{
    public int Requests => Succeeded + Failed;
}

internal sealed record ContenderResult(Contender Contender, IReadOnlyDictionary<Change, PhaseResult> Phases)
{
    public bool Failed => Phases.Values.Any(p => p.Failed > 0);
}
