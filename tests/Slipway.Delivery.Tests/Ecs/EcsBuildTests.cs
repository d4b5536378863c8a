using System.Text.Json;
using System.Text.Json.Nodes;
using Slipway.Delivery.Deployment;
using Slipway.Delivery.Publishing;
using Slipway.Delivery.Tests.Deployment.DynamoDb;
using Slipway.Delivery.Tests.Deployment.TestStack;
using Slipway.Delivery.Tests.Ecs.LocalEcs;
using Slipway.Tools.Aws;
using Xunit.Abstractions;

namespace Slipway.Delivery.Tests.Ecs;

/// <summary>
/// ./build.sh Deploy and Rollback --environment ecs as a release manager runs them (the compiled build in an
/// <see cref="EcsBuildWorkspace"/>), against the local ECS plane, the fake ECR in front of the test registry and
/// dynalite: a dry run changes nothing in the account, and prints the plan the real run then prints and carries out.
/// </summary>
[Collection(EcsCollection.Name)]
public sealed class EcsBuildTests(Dynalite dynamo, ITestOutputHelper testOutput) : IClassFixture<Dynalite>
{
    private const string Registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

    // No Trivy on the machines that run these tests; the scan is Trivy's, proved in the Scanning tests.
    private static readonly string[] WithoutScan = ["--skip", "ScanImages"];

    [EcsPlaneFact]
    public async Task Dry_runs_change_nothing_and_print_the_plan_that_Deploy_and_Rollback_then_carry_out()
    {
        await using var workspace = await EcsBuildWorkspace.CreateAsync(dynamo);
        var v1 = workspace.Version("1.0.0");
        var commit1 = await workspace.CommitAsync("release 1");

        // Nothing of ours serves: the plan copies terraform's revision, and the images are still to be built and pushed.
        var firstDry = await DryRunAsync(workspace, ["Deploy", "--version", v1]);
        Assert.True(firstDry.ExitCode == 0, firstDry.ToString());
        var plan1 = firstDry.Plan("Deploy", "environment ");
        Assert.Equal($"environment  ecs (ecs, cluster {LocalEcsScenario.Cluster}, service {LocalEcsScenario.Service}, eu-west-1)", plan1[0]);
        Assert.Equal($"app          api {v1}+{commit1} = {Registry}/slipway-api:{v1}-{commit1}", plan1[1]);
        Assert.Equal($"task def     slipway-api:1 (not deployed by Slipway) → a new revision of slipway-api, copied with api by digest, secrets by reference: DATABASE_PASSWORD ← {workspace.Scenario.DatabasePasswordArn}", plan1[2]);
        Assert.StartsWith("release      one-off task of the new revision, command `migrate --applied-by ", plan1[3], StringComparison.Ordinal);
        Assert.Contains($"subnets {string.Join(",", workspace.Plane.Options.Subnets)}, security groups {string.Join(",", workspace.Plane.Options.SecurityGroups)}", plan1[3], StringComparison.Ordinal);
        Assert.Equal("update       service api → the new revision, circuit breaker on with rollback, 1 tasks; follow the PRIMARY deployment's rolloutState ≤ 180 s", plan1[4]);
        Assert.Equal($"then         smoke via {workspace.Plane.LoadBalancerUrl}; on failure the service goes back to slipway-api:1", plan1[5]);
        Assert.Contains("lock         free (the real run takes it)", firstDry.Section("Deploy"));
        Assert.Contains(firstDry.Section("Deploy"), l => l.StartsWith($"image        slipway-api:{v1}-{commit1}", StringComparison.Ordinal));
        Assert.Equal("would run (it writes; --dry-run)", firstDry.Note("PushEcr"));
        Assert.Equal("not triggered: Deploy only printed its plan (--dry-run)", firstDry.Note("SmokeTest"));

        // The real deploy builds, pushes to ECR, and carries out that plan: exactly these three changes to the account.
        var first = await RealRunAsync(workspace, ["Deploy", "--version", v1, .. WithoutScan]);
        Assert.Equal(plan1, first.Output.Plan("Deploy", "environment "));
        var pushed = PushedAppImage(workspace, v1, commit1);
        var revision2 = AssertDeployed(workspace, first.Changes, pushed, LocalEcsScenario.Family + ":1");
        Assert.Contains(first.Output.Section("Deploy"), l => l == $"registered slipway-api:2 with api = {pushed}");
        Assert.Contains(first.Output.Section("Deploy"), l => l.StartsWith("release phase done in ", StringComparison.Ordinal) && l.EndsWith(", schema version 1", StringComparison.Ordinal));
        Assert.Contains(first.Output.Lines, l => l.StartsWith("SmokeTest ", StringComparison.Ordinal) && l.Contains(" Succeeded ", StringComparison.Ordinal));
        await AssertServesAsync(workspace, revision2, $"{v1}+{commit1}");

        // Release 2, pushed first (a release manager's PushEcr): the dry run names the image by the digest the registry has.
        var v2 = workspace.Version("2.0.0");
        await File.AppendAllTextAsync(Path.Combine(workspace.Root, "app/app.conf"), "# release 2\n");
        var commit2 = await workspace.CommitAsync("release 2");
        await RealRunAsync(workspace, ["PushEcr", "--version", v2, .. WithoutScan]);
        var pushed2 = PushedAppImage(workspace, v2, commit2);
        var digest2 = pushed2[(pushed2.IndexOf("@sha256:", StringComparison.Ordinal) + 8)..];
        var secondDry = await DryRunAsync(workspace, ["Deploy", "--version", v2]);
        Assert.True(secondDry.ExitCode == 0, secondDry.ToString());
        Assert.Contains(secondDry.Section("Deploy"), l => l.StartsWith($"image        slipway-api:{v2}-{commit2}", StringComparison.Ordinal) && l.EndsWith($"{Registry} has it ({digest2[..12]}); nothing new to push", StringComparison.Ordinal));
        var plan2 = secondDry.Plan("Deploy", "environment ");
        Assert.StartsWith($"task def     slipway-api:2 ({v1}+{commit1}) → a new revision of slipway-api", plan2[2], StringComparison.Ordinal);
        Assert.EndsWith("on failure the service goes back to slipway-api:2", plan2[^1], StringComparison.Ordinal);

        // Deployed from PushEcr's hand-off, as production's deploy job does: the digest the dry run named is the one ECS runs.
        var second = await RealRunAsync(workspace, ["Deploy", "--version", v2, "--skip", "BuildImages", "ScanImages", "PushEcr"]);
        Assert.Equal(plan2, second.Output.Plan("Deploy", "environment "));
        var revision3 = AssertDeployed(workspace, second.Changes, pushed2, LocalEcsScenario.Family + ":2");
        await AssertServesAsync(workspace, revision3, $"{v2}+{commit2}");

        // Rollback: the dry run names the ledger's revision of release 1; the rollback only updates the service to it.
        var rollbackDry = await DryRunAsync(workspace, ["Rollback"]);
        Assert.True(rollbackDry.ExitCode == 0, rollbackDry.ToString());
        var rollbackPlan = rollbackDry.Plan("Rollback", "rollback ");
        Assert.StartsWith($"rollback     {v2}+{commit2} → {v1}+{commit1}, deployed ", rollbackPlan[0], StringComparison.Ordinal);
        Assert.Equal($"update       service api slipway-api:3 → slipway-api:2 ({pushed}), circuit breaker on with rollback; nothing rebuilt or registered", rollbackPlan[1]);
        var rollback = await RealRunAsync(workspace, ["Rollback"]);
        Assert.Equal(rollbackPlan, rollback.Output.Plan("Rollback", "rollback "));
        var update = Assert.Single(rollback.Changes);
        Assert.Equal(("UpdateService", revision2), (update.Operation, update.Request["taskDefinition"]!.GetValue<string>()));
        await AssertServesAsync(workspace, revision2, $"{v1}+{commit1}");

        // Dry runs once more: rolling back again has nothing earlier to go to; a deploy of release 2 plans a new revision from 2.
        var againDry = await DryRunAsync(workspace, ["Rollback"]);
        Assert.Equal(1, againDry.ExitCode);
        Assert.Contains($"nothing earlier remains to roll back to: {v1}+{commit1} is the oldest release", againDry.Error, StringComparison.Ordinal);
        var redeployDry = await DryRunAsync(workspace, ["Deploy", "--version", v2]);
        Assert.True(redeployDry.ExitCode == 0, redeployDry.ToString());
        Assert.StartsWith($"task def     slipway-api:2 ({v1}+{commit1}) → a new revision of slipway-api", redeployDry.Plan("Deploy", "environment ")[2], StringComparison.Ordinal);

        using var store = dynamo.Store("ecs");
        var ledger = await (await store.OpenReadOnlyLedgerAsync(_ => { })).ReadAsync();
        Assert.Equal(
            [($"{v1}+{commit1}", ReleaseKind.Deploy, revision2), ($"{v2}+{commit2}", ReleaseKind.Deploy, revision3), ($"{v1}+{commit1}", ReleaseKind.Rollback, revision2)],
            ledger.Select(r => (r.Version, r.Kind, r.Images[EcsDeployer.TaskDefinitionKey])));
        Assert.All(ledger, r => Assert.Equal(ReleaseOutcome.Succeeded, r.Outcome));
        Assert.Null(await store.ReadLockAsync());
    }

    [EcsPlaneFact]
    public async Task A_mistake_in_ecs_json_or_no_credentials_is_one_line_before_anything_is_built_or_changed()
    {
        await using var workspace = await EcsBuildWorkspace.CreateAsync(dynamo);
        var version = workspace.Version("1.0.0");
        await workspace.CommitAsync("release 1");
        string[] dryRun = ["Deploy", "--version", version, "--dry-run"];
        var noCredentials = $"error: ecs is an ECS service: {AwsCredentialResolver.NoCredentials}";

        // Without credentials, the deploy stops before it builds an image or asks AWS anything; so does its dry run.
        var (deploy, asked) = await FailedRunAsync(workspace, ["Deploy", "--version", version, .. WithoutScan], withoutCredentials: true);
        Assert.Equal((2, noCredentials, 0), (deploy.ExitCode, deploy.Line, asked));
        var (dry, dryAsked) = await FailedRunAsync(workspace, dryRun, withoutCredentials: true);
        Assert.Equal((2, noCredentials, 0), (dry.ExitCode, dry.Line, dryAsked));
        var (rollback, _) = await FailedRunAsync(workspace, ["Rollback"], withoutCredentials: true);
        Assert.Equal((2, noCredentials), (rollback.ExitCode, rollback.Line));

        await workspace.EditEnvironmentAsync(file => file["ecs"]!["cluster"] = "slipway-typo");
        var (wrongCluster, _) = await FailedRunAsync(workspace, dryRun);
        Assert.Equal((1, "✗ ECS cluster 'slipway-typo' not found in eu-west-1: set ecs.cluster in .nuke/environments/ecs.json to the cluster terraform made (terraform output ecs_cluster_name)"),
            (wrongCluster.ExitCode, wrongCluster.Line));

        // A mistake the file shows itself is found before the build reads anything.
        await workspace.EditEnvironmentAsync(file => file["ecs"]!.AsObject().Remove("subnets"));
        var (missingField, read) = await FailedRunAsync(workspace, dryRun);
        Assert.Equal((2, "error: .nuke/environments/ecs.json: ecs.subnets is missing", 0), (missingField.ExitCode, missingField.Line, read));
    }

    /// <summary>Runs the build with --dry-run and asserts that nothing a deploy could change has changed, in the account or the table.</summary>
    private async Task<BuildOutput> DryRunAsync(EcsBuildWorkspace workspace, string[] arguments)
    {
        var before = await workspace.SnapshotAsync();
        var calls = workspace.Plane.Calls.Count;
        var output = await workspace.RunAsync([.. arguments, "--dry-run"]);
        testOutput.WriteLine(output.ToString());
        Assert.Equal(before, await workspace.SnapshotAsync());
        Assert.Empty(workspace.ChangesSince(calls));
        Assert.NotEqual(calls, workspace.Plane.Calls.Count);
        return output;
    }

    /// <summary>A run that fails: one line and no stack trace, nothing changed; returns its exit code, that line and how many ECS requests it made.</summary>
    private async Task<((int ExitCode, string Line) Failure, int Requests)> FailedRunAsync(EcsBuildWorkspace workspace, string[] arguments, bool withoutCredentials = false)
    {
        var before = await workspace.SnapshotAsync();
        var calls = workspace.Plane.Calls.Count;
        var output = await workspace.RunAsync(arguments, withoutCredentials);
        var requests = workspace.Plane.Calls.Count - calls;
        testOutput.WriteLine(output.ToString());
        Assert.DoesNotContain("   at ", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(before, await workspace.SnapshotAsync());
        Assert.Empty(workspace.ChangesSince(calls));
        return ((output.ExitCode, Assert.Single(output.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Trim()), requests);
    }

    private async Task<(BuildOutput Output, IReadOnlyList<EcsCall> Changes)> RealRunAsync(EcsBuildWorkspace workspace, string[] arguments)
    {
        var calls = workspace.Plane.Calls.Count;
        var output = await workspace.RunAsync(arguments);
        testOutput.WriteLine(output.ToString());
        Assert.True(output.ExitCode == 0, output.ToString());
        return (output, workspace.ChangesSince(calls));
    }

    /// <summary>The app image PushEcr handed to Deploy (artifacts/images/pushed.json), by digest.</summary>
    private static string PushedAppImage(EcsBuildWorkspace workspace, string version, string commit)
    {
        var result = JsonSerializer.Deserialize<PublishResult>(File.ReadAllText(Path.Combine(workspace.Root, "artifacts/images/pushed.json")))!;
        var app = Assert.Single(result.Images, i => i.Reference == $"{RealServers.Registry}/slipway-api:{version}-{commit}");
        return $"{RealServers.Registry}/slipway-api@{app.Digest}";
    }

    /// <summary>
    /// The changes a deploy made, in order: the live revision copied with the image by digest, the migration as a
    /// one-off task of the new revision on the environment's subnets, and the service updated to it with the breaker on.
    /// Returns the new revision's ARN.
    /// </summary>
    private static string AssertDeployed(EcsBuildWorkspace workspace, IReadOnlyList<EcsCall> changes, string image, string copiedFrom)
    {
        Assert.Equal(["RegisterTaskDefinition", "RunTask", "UpdateService"], changes.Select(c => c.Operation));
        var (register, run, update) = (changes[0].Request, changes[1].Request, changes[2].Request);
        var container = register["containerDefinitions"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == LocalEcsScenario.Container)!;
        Assert.Equal(image, container["image"]!.GetValue<string>());
        Assert.Equal(workspace.Scenario.DatabasePasswordArn, container["secrets"]![0]!["valueFrom"]!.GetValue<string>());
        Assert.Equal(LocalEcsScenario.Family, register["family"]!.GetValue<string>());

        var revision = update["taskDefinition"]!.GetValue<string>();
        Assert.NotEqual(copiedFrom, revision[(revision.LastIndexOf('/') + 1)..]);
        Assert.Equal(revision, run["taskDefinition"]!.GetValue<string>());
        Assert.Equal(EcsDeployer.ReleasePhaseStartedBy, run["startedBy"]!.GetValue<string>());
        Assert.Equal("migrate", run["overrides"]!["containerOverrides"]![0]!["command"]![0]!.GetValue<string>());
        Assert.Equal(workspace.Plane.Options.Subnets, run["networkConfiguration"]!["awsvpcConfiguration"]!["subnets"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.True(update["deploymentConfiguration"]!["deploymentCircuitBreaker"]!["rollback"]!.GetValue<bool>());
        return revision;
    }

    private static async Task AssertServesAsync(EcsBuildWorkspace workspace, string revision, string version)
    {
        Assert.True(LocalEcsScenario.Completed(await workspace.Scenario.DescribeServiceAsync(), revision));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var answer = JsonNode.Parse(await http.GetStringAsync(new Uri(workspace.Plane.LoadBalancerUrl, "version")))!;
        Assert.Equal(version, answer["version"]!.GetValue<string>());
    }
}
