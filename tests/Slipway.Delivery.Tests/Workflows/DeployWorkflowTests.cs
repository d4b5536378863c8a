using System.Text.Json;
using System.Text.RegularExpressions;
using Slipway.Delivery.Publishing;
using Slipway.Delivery.Tests.Workflows.Simulator;

namespace Slipway.Delivery.Tests.Workflows;

/// <summary>
/// The real build's generated deploy.yml, run by the workflow simulator on a push to main of a copy of this repository
/// whose staging and production are hosts of the test's own (<see cref="DeployTargets"/>): the test job (narrowed by
/// TEST_FILTER, see <see cref="RealRepositoryRunners"/>), then staging's job (build, scan, push, deploy, smoke), then
/// production's (promote by digest, deploy, smoke); then a release that fails smoke in production only, rolled back by
/// production's own job. One thing is not what GitHub would run: the "Install Trivy" step is
/// served by the runner (<see cref="RunnerTrivy"/>: no network here to download Trivy, and Trivy cannot scan offline).
/// GitHub's API is not needed: on GitHub Actions VerifyCommitChecks leaves the gate to the workflow's needs, and without
/// a token in the job the deploy is not recorded as a GitHub Deployment.
/// </summary>
[Collection(WorkflowScenarios.Name)]
public sealed class DeployWorkflowTests(WorkflowScenarios scenarios)
{
    [WorkflowRunnerFact]
    public async Task A_push_deploys_staging_then_production_with_stagings_digests_and_a_release_failing_smoke_in_production_is_rolled_back_there()
    {
        var (runners, targets) = await scenarios.DeployRunnersAsync();
        var commit = await runners.Repository.CommitAsync("a release");

        var run = await runners.GitHub.RunAsync(".github/workflows/deploy.yml", new WorkflowTrigger("push", commit));

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
        Assert.Equal(staged.Images.Select(i => (Repository(i.Reference), i.Digest)), promoted.Images.Select(i => (Repository(i.Reference), i.Digest)));
        Assert.All(promoted.Images, i => Assert.StartsWith(targets.ProductionRegistry.Address + "/", i.Reference, StringComparison.Ordinal));
        Assert.Matches(new Regex(@"^BuildImages\s+Skipped\s+--skip", RegexOptions.Multiline), run.Jobs["deploy-production"].Log);

        // What each engine runs is what staging verified.
        foreach (var image in staged.Images)
        {
            var name = Repository(image.Reference);
            Assert.Equal([image.Digest], await targets.Staging.RunningDigestsAsync(name));
            Assert.Equal([image.Digest], await targets.Production.RunningDigestsAsync(name));
        }

        // Only production's job got AWS credentials, through its environment's OIDC subject.
        Assert.Contains(runners.GitHub.Sts!.Issued, i => i.Subject == "repo:slipway-org/slipway:environment:production");
        Assert.DoesNotContain(runners.GitHub.Sts!.Issued, i => i.Subject.Contains("staging", StringComparison.Ordinal));
        var first = await targets.Production.ServedVersionAsync();
        Assert.Equal(first, await targets.Staging.ServedVersionAsync());

        // The next release passes on staging, but prod.json now trusts staging's CA for production's public certificate
        // (a wrong file, as a team could commit): production's public smoke check cannot verify TLS, so production's own
        // job rolls production back to the release before, and the run is red.
        var broken = await DeployTargets.CommitEnvironmentAsync(runners, "prod", file => file["trustedCaFile"] = ".nuke/environments/staging-ca.crt",
            "a release whose smoke check fails in production");

        var red = await runners.GitHub.RunAsync(".github/workflows/deploy.yml", new WorkflowTrigger("push", broken));

        Assert.True(red.Conclusion == JobConclusion.Failure, red.Logs);
        Assert.Equal(JobConclusion.Success, red.Jobs["test"].Conclusion);
        Assert.Equal(JobConclusion.Success, red.Jobs["deploy-staging"].Conclusion);
        Assert.Equal(JobConclusion.Failure, red.Jobs["deploy-production"].Conclusion);
        var production = red.Jobs["deploy-production"].Log;
        // Rolled back in this job: by Deploy itself when its smoke check through the public URL fails after the switch
        // ("rolled back: ..."), else by the Rollback target after SmokeTest ("back to <version>").
        Assert.Matches(new Regex($"rolled back: |back to {Regex.Escape(first!)}"), production);
        Assert.Equal(first, await targets.Production.ServedVersionAsync());
        Assert.NotEqual(first, await targets.Staging.ServedVersionAsync());
        Assert.Equal(JobConclusion.Success, Step(red, "deploy-production", "Remove the engine's client certificates (.nuke/certs/prod)"));
    }

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
