using System.Diagnostics;
using Slipway.Delivery.Deployment.SmokeTests;
using Slipway.Delivery.Tests.Deployment.TestStack;

namespace Slipway.Benchmarks.Deploy;

/// <summary>One way of shipping v2 and going back to v1, already serving v1 at <see cref="BaseUrl"/>.</summary>
/// <param name="Ours">Slipway's own: a single failed request under load fails the benchmark.</param>
/// <param name="Setup">How it was set up, a markdown paragraph for the report.</param>
internal sealed record Contender(string Name, bool Ours, Uri BaseUrl, string TrustedCaFile, string Setup, Func<Task> Deploy, Func<Task> Rollback)
{
    public const string V1 = "1.0.0";
    public const string V2 = "2.0.0";

    // Load runs a little before and after the timed call: a request that fails right after the
    // command returns (a proxy still sending to a stopped task) is the change's doing too.
    private static readonly TimeSpan LoadBefore = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LoadAfter = TimeSpan.FromSeconds(2);

    public async Task<ContenderResult> RunAsync(Action<string> log)
    {
        using var client = SmokeTester.CreateClient(TrustedCaFile);
        await WaitAnsweringAsync(client, V1);
        log($"{Name}: deploy {V2} under load");
        var deploy = await MeasureAsync(client, V2, Deploy);
        log($"{Name}: roll back to {V1} under load");
        var rollback = await MeasureAsync(client, V1, Rollback);
        return new ContenderResult(this, deploy, rollback);
    }

    private async Task<PhaseResult> MeasureAsync(HttpClient client, string expectedVersion, Func<Task> change)
    {
        var load = new LoadGenerator(client, BaseUrl);
        var clock = new Stopwatch();
        await using (load)
        {
            await Task.Delay(LoadBefore);
            clock.Start();
            await change();
            clock.Stop();
            await Task.Delay(LoadAfter);
        }

        if (load.LastVersion != expectedVersion)
            throw new InvalidOperationException($"{Name}: {load.LastVersion ?? "nothing"} answered last, expected {expectedVersion}; the benchmark is void");
        return new PhaseResult(clock.Elapsed, load.Succeeded, load.Failed, load.Versions.ToDictionary(), load.Failures.ToArray());
    }

    /// <summary>Waits until the proxy answers with <paramref name="version"/>, so every phase starts from a steady state.</summary>
    private async Task WaitAnsweringAsync(HttpClient client, string version)
    {
        var url = new Uri(BaseUrl, "/version");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var body = await client.GetStringAsync(url);
                if (body.Contains($"\"{version}\"", StringComparison.Ordinal))
                    return;
                last = body;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"{Name}: {url} did not answer {version} within 60 s (last: {last})");
    }
}

internal sealed record PhaseResult(TimeSpan Duration, int Succeeded, int Failed, IReadOnlyDictionary<string, int> Versions, IReadOnlyList<string> Failures)
{
    public int Requests => Succeeded + Failed;
}

internal sealed record ContenderResult(Contender Contender, PhaseResult Deploy, PhaseResult Rollback)
{
    public bool Failed => Deploy.Failed + Rollback.Failed > 0;
}
