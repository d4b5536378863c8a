using System.Text.Json;
using System.Text.RegularExpressions;
using Slipway.Delivery.Publishing;
using Slipway.Delivery.Tests.Workflows.Simulator;

namespace Slipway.Delivery.Tests.Workflows;

/// <summary>
/// The real build's generated deploy.yml, run by the workflow simulator on pushes to main of a copy of this repository
/// whose staging and production are hosts of the test's own (<see cref="DeployTargets"/>). Release 1: the test job
/// (narrowed by TEST_FILTER, see <see cref="RealRepositoryRunners"/>), then staging's job (build, scan, push, deploy,
/// smoke), then production's (promote by digest, deploy, smoke). Release 2 is pushed while release 1's staging job runs:
/// its deploy jobs queue behind release 1's and nothing is cancelled. Release 2 changes what a real release changes (the
/// app's code, nginx's configuration, an environment file); its production file is wrong, so it fails smoke in
/// production only and production's own job rolls it back. One thing is not what GitHub would run: the "Install Trivy"
/// step is served by the runner (<see cref="RunnerTrivy"/>: no network here to download Trivy, and Trivy cannot scan
/// offline). GitHub's API is not needed: on GitHub Actions VerifyCommitChecks leaves the gate to the workflow's needs, and
/// without a token in the job the deploy is not recorded as a GitHub Deployment.
/// </summary>
[Collection(WorkflowScenarios.Name)]
public sealed class DeployWorkflowTests(WorkflowScenarios scenarios)
{
    private const string Workflow = ".github/workflows/deploy.yml";
    private const string StagingDeployStep = "./build.sh Deploy";
    private const string ReleaseHeader = "X-Slipway-Release";

    [WorkflowRunnerFact]
    public async Task Pushes_deliver_staging_then_production_by_stagings_digests_queue_behind_a_running_deploy_and_a_release_failing_smoke_in_production_is_rolled_back_there()
    {
        var (runners, targets) = await scenarios.DeployRunnersAsync();
        var github = runners.GitHub;
        var commit = await runners.Repository.CommitAsync("a release");
        // Release 1's staging job waits before its deploy step, as a long deploy would keep it running, until release 2 queues.
        var hold = github.HoldBefore("deploy-staging", StagingDeployStep);
        var firstRun = github.RunAsync(Workflow, new WorkflowTrigger("push", commit));
        if (await Task.WhenAny(hold.Reached, firstRun) == firstRun)
            Assert.Fail("release 1's run ended before its staging deploy:\n" + (await firstRun).Logs);
        var held = (await hold.Reached).Run.Id;

        var second = await CommitSecondReleaseAsync(runners);
        var secondRun = github.RunAsync(Workflow, new WorkflowTrigger("push", second));
        var queued = $"job deploy-staging deploy-staging: pending behind run {held} job deploy-staging";
        while (!github.Concurrency.Events.Exists(e => e.EndsWith(queued, StringComparison.Ordinal)))
        {
            if (secondRun.IsCompleted)
                Assert.Fail("release 2's run ended without queueing behind release 1's staging job:\n" + (await secondRun).Logs);
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        hold.Release();
        var run = await firstRun;
        var red = await secondRun;

        // Release 1: green, staging then production, production promoted staging's images by digest.
        Assert.True(run.Conclusion == JobConclusion.Success, run.Logs);
        Assert.Equal(["test", "deploy-staging", "deploy-production"], run.Jobs.Keys.Order(Comparer<string>.Create((a, b) => Order(a) - Order(b))));
        Assert.All(run.Jobs.Values, j => Assert.Equal(JobConclusion.Success, j.Conclusion));
        Assert.Equal(JobConclusion.Success, Step(run, "deploy-staging", RunnerTrivy.Step));
        var staged = HandOff(run, "push-ecr-staging");
        var promoted = HandOff(run, "promote-production");
        Assert.Equal(DeployTargets.StagingRegistry, staged.Registry);
        Assert.Equal(targets.ProductionRegistry.Address, promoted.Registry);
        Assert.Equal(["slipway-api", "slipway-nginx"], staged.Images.Select(i => Repository(i.Reference)));
        // Promoted, not rebuilt: production's registry holds staging's manifests, byte for byte (same digests).
        Assert.Equal(Digests(staged), Digests(promoted));
        Assert.All(promoted.Images, i => Assert.StartsWith(targets.ProductionRegistry.Address + "/", i.Reference, StringComparison.Ordinal));
        Assert.Matches(new Regex(@"^BuildImages\s+Skipped\s+--skip", RegexOptions.Multiline), run.Jobs["deploy-production"].Log);
        // Only production's job got AWS credentials, through its environment's OIDC subject.
        Assert.Contains(github.Sts!.Issued, i => i.Subject == "repo:slipway-org/slipway:environment:production");
        Assert.DoesNotContain(github.Sts!.Issued, i => i.Subject.Contains("staging", StringComparison.Ordinal));

        // Release 2 queued behind release 1 and cancelled nothing: its staging job started once release 1's had finished.
        var events = github.Concurrency.Events;
        Assert.DoesNotContain(events, e => e.Contains("cancelled", StringComparison.Ordinal));
        var firstDone = events.IndexOf($"run {held} job deploy-staging deploy-staging: done");
        Assert.True(firstDone >= 0 && events.IndexOf($"run {red.Id} job deploy-staging deploy-staging: running") > firstDone, string.Join("\n", events));

        // Release 2: green in staging with its new app and proxy images; red in production, rolled back there by Deploy
        // when its smoke check through the public URL failed after the switch.
        Assert.True(red.Conclusion == JobConclusion.Failure, red.Logs);
        Assert.Equal(JobConclusion.Success, red.Jobs["test"].Conclusion);
        Assert.Equal(JobConclusion.Success, red.Jobs["deploy-staging"].Conclusion);
        Assert.Equal(JobConclusion.Failure, red.Jobs["deploy-production"].Conclusion);
        Assert.Contains("rolled back: ", red.Jobs["deploy-production"].Log, StringComparison.Ordinal);
        Assert.Equal(JobConclusion.Success, Step(red, "deploy-production", "Remove the engine's client certificates (.nuke/certs/prod)"));
        var restaged = HandOff(red, "push-ecr-staging");
        Assert.All(Digests(staged).Zip(Digests(restaged)), pair => Assert.NotEqual(pair.First.Digest, pair.Second.Digest));

        // What each host serves: staging release 2's app image and nginx configuration, production release 1's, each as
        // staging verified it (production's from its own registry, the same digests).
        await AssertServesAsync(targets.Staging, restaged);
        await AssertServesAsync(targets.Production, promoted);
        var (stagingBody, stagingHeaders) = await targets.Staging.HealthAsync();
        var (productionBody, productionHeaders) = await targets.Production.HealthAsync();
        Assert.EndsWith("+" + second[..7], stagingBody.GetProperty("version").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("+" + commit[..7], productionBody.GetProperty("version").GetString(), StringComparison.Ordinal);
        Assert.Equal("second", stagingBody.GetProperty("release").GetString());
        Assert.Equal("second", stagingHeaders.GetValueOrDefault(ReleaseHeader));
        Assert.False(productionBody.TryGetProperty("release", out _), productionBody.ToString());
        Assert.False(productionHeaders.ContainsKey(ReleaseHeader), "production's nginx kept release 2's configuration after the rollback");
    }

    /// <summary>The host runs the app container pulled by the pushed app digest, and nginx serves the pushed nginx image's configuration.</summary>
    private static async Task AssertServesAsync(TargetHost host, PublishResult pushed)
    {
        var images = pushed.Images.ToDictionary(i => Repository(i.Reference), i => i);
        Assert.Equal([images["slipway-api"].Digest], await host.RunningDigestsAsync("slipway-api"));
        var nginx = images["slipway-nginx"];
        var pinned = $"{nginx.Reference[..nginx.Reference.LastIndexOf(':')]}@{nginx.Digest}";
        Assert.Equal(await host.ProxyReleaseOfAsync(pinned), await host.ServedProxyReleaseAsync());
    }

    /// <summary>
    /// Release 2, as a real release differs: the app's code (/health names the release), nginx's configuration (a header)
    /// and an environment file: prod.json now trusts staging's CA for production's public certificate, a wrong file as a
    /// team could commit, which only production's public smoke check can catch.
    /// </summary>
    private static async Task<string> CommitSecondReleaseAsync(RealRepositoryRunners runners)
    {
        await ChangeAsync(runners, "src/Api/Health/HealthEndpoints.cs",
            "new { Status = \"healthy\", Version = AppVersion.Current,", "new { Status = \"healthy\", Version = AppVersion.Current, Release = \"second\",");
        await ChangeAsync(runners, "nginx/snippets/security-headers.conf",
            "add_header X-Content-Type-Options", $"add_header {ReleaseHeader} \"second\" always;\nadd_header X-Content-Type-Options");
        return await DeployTargets.CommitEnvironmentAsync(runners, "prod", file => file["trustedCaFile"] = ".nuke/environments/staging-ca.crt",
            "release 2: /health names it, nginx adds a header, and prod.json trusts the wrong CA");
    }

    private static async Task ChangeAsync(RealRepositoryRunners runners, string file, string text, string replacement)
    {
        var path = Path.Combine(runners.Repository.Path, file);
        var content = await File.ReadAllTextAsync(path);
        Assert.Contains(text, content, StringComparison.Ordinal);
        await File.WriteAllTextAsync(path, content.Replace(text, replacement, StringComparison.Ordinal));
    }

    private static IEnumerable<(string Name, string Digest)> Digests(PublishResult pushed) => pushed.Images.Select(i => (Repository(i.Reference), i.Digest));

    private static int Order(string job) => job switch { "test" => 0, "deploy-staging" => 1, _ => 2 };

    private static JobConclusion Step(WorkflowRun run, string job, string step) => run.Jobs[job].Steps.Single(s => s.Step == step).Outcome;

    private static PublishResult HandOff(WorkflowRun run, string artifact) =>
        JsonSerializer.Deserialize<PublishResult>(File.ReadAllText(Path.Combine(run.Artifacts.FolderOf(artifact), "pushed.json")))!;

    /// <summary>registry/repository:tag → repository.</summary>
    private static string Repository(string reference)
    {
        var path = reference[(reference.IndexOf('/', StringComparison.Ordinal) + 1)..];
        return path[..path.LastIndexOf(':')];
    }
}
