using Slipway.Engine.CI;

namespace Slipway.Engine.Tests.CI;

[Collection("engine")]
public sealed class JobPlannerTests : IDisposable
{
    private readonly Harness harness = new();

    public void Dispose() => harness.Dispose();

    private static IReadOnlyList<PlannedJob> Plan(SampleDelivery build, Workflow workflow) =>
        JobPlanner.Plan(workflow, TargetGraph.Create(build));

    private static string[] Names(IEnumerable<ExecutableTarget> targets) => [.. targets.Select(t => t.Name)];

    private static string[] Ids(IEnumerable<PlannedJob> jobs) => [.. jobs.Select(j => j.Id)];

    [Fact]
    public void CI_jobs_follow_the_graph_and_the_second_skips_what_the_first_ran()
    {
        var build = new SampleDelivery();
        var jobs = Plan(build, build.Ci);

        Assert.Equal(["test", "scan-images"], Ids(jobs));
        Assert.Equal(["Restore", "Compile", "Test"], Names(jobs[0].Runs));
        Assert.Empty(jobs[0].Needs);
        Assert.Equal(["BuildImages", "ScanImages"], Names(jobs[1].Runs));
        Assert.Equal(["Restore", "Compile"], Names(jobs[1].Skips));
        Assert.Equal(["test"], Ids(jobs[1].Needs));
    }

    [Fact]
    public void Delivery_stages_chain_push_migrate_deploy_smoke_and_rollback()
    {
        var build = new SampleDelivery();
        var jobs = Plan(build, build.Delivery).ToDictionary(j => j.Id);

        Assert.Empty(jobs["push-images-staging"].Needs);
        Assert.Equal(["Restore", "Compile", "BuildImages", "ScanImages", "PushImages"], Names(jobs["push-images-staging"].Runs));
        Assert.Empty(jobs["migrate-staging"].Needs);
        Assert.Equal(["push-images-staging", "migrate-staging"], Ids(jobs["deploy-staging"].Needs));
        Assert.Equal(["Deploy"], Names(jobs["deploy-staging"].Runs));
        Assert.Equal(["SmokeTest", "Rollback"], Names(jobs["deploy-staging"].Skips).TakeLast(2));
        Assert.Equal(["deploy-staging"], Ids(jobs["smoke-test-staging"].Needs));
        Assert.Equal(["Rollback"], Names(jobs["smoke-test-staging"].Skips));
        Assert.Equal(["smoke-test-staging"], Ids(jobs["rollback-staging"].Needs));

        // Production starts after staging passed its smoke test, never after the conditional rollback.
        Assert.Equal(["smoke-test-staging"], Ids(jobs["push-images-production"].Needs));
        Assert.Equal(["smoke-test-staging"], Ids(jobs["migrate-production"].Needs));
        Assert.Equal(["push-images-production", "migrate-production"], Ids(jobs["deploy-production"].Needs));
        // Each environment gets its own images: production does not skip what staging ran.
        Assert.Empty(jobs["push-images-production"].Skips);
    }

    [Fact]
    public void A_consumed_artifact_is_downloaded_from_the_job_that_produced_it_in_the_same_stage()
    {
        var build = new SampleDelivery();
        var jobs = Plan(build, build.Delivery).ToDictionary(j => j.Id);

        var (producer, target) = Assert.Single(jobs["deploy-production"].Downloads);
        Assert.Equal("push-images-production", producer.Id);
        Assert.Equal("push-images-production", producer.ArtifactName(target));
        Assert.Empty(jobs["push-images-production"].Downloads);
    }

    [Fact]
    public void Within_a_scope_no_target_runs_in_two_jobs_and_every_skip_is_run_by_another_job()
    {
        var build = new SampleDelivery();
        foreach (var workflow in build.Workflows)
        {
            var jobs = Plan(build, workflow);
            foreach (var scope in jobs.GroupBy(j => j.Stage))
            {
                var visible = jobs.Where(j => j.Stage is null || j.Stage == scope.Key).ToList();
                var runs = visible.SelectMany(j => j.Runs).ToList();
                Assert.Equal(runs.Count, runs.Distinct().Count());
                foreach (var job in scope)
                {
                    foreach (var skipped in job.Skips)
                    {
                        var runner = Assert.Single(visible, j => j.Runs.Contains(skipped));
                        // The job running a skipped dependency is an ancestor; one running a triggered target comes later.
                        Assert.True(job.Ancestors.Contains(runner) || runner.Ancestors.Contains(job), $"{job.Id} skips {skipped} run by unrelated {runner.Id}");
                    }
                }
            }
        }
    }

    /// <summary>The run lines of the generated jobs, executed by the real engine one after another, run every target once.</summary>
    [Fact]
    public void Running_the_generated_commands_in_job_order_runs_each_target_exactly_once()
    {
        var sample = new SampleDelivery();
        harness.Environment["DATABASE_URL"] = "postgres://u:p@127.0.0.1/db";
        var files = sample.Generate().ToDictionary(f => f.RelativePath, f => f.Content);
        var ran = new List<string>();
        foreach (var (path, stageSuffix) in new[] { (".github/workflows/ci.yml", ""), (".github/workflows/deploy.yml", "-staging") })
        {
            var jobs = WorkflowText.Jobs(files[path]).Where(j => j.Key.EndsWith(stageSuffix, StringComparison.Ordinal) && !j.Key.StartsWith("rollback", StringComparison.Ordinal));
            foreach (var (id, text) in jobs)
            {
                var build = new SampleDelivery();
                var args = WorkflowText.RunLine(text).Split(' ')[1..];
                var result = harness.Run(build, args, ["Compile"]);
                Assert.True(result.ExitCode == 0, $"{id}: {result.Error}");
                ran.AddRange(build.Ran);
            }
        }

        Assert.Equal(
            ["Restore", "Compile", "Test", "BuildImages", "ScanImages",
             "Restore", "Compile", "BuildImages", "ScanImages", "PushImages", "Migrate", "Deploy", "SmokeTest"],
            ran);
    }

    private sealed class Misdeclared : SlipwayBuild
    {
        Target Compile => _ => _;
        Target Test => _ => _.DependsOn(Compile).Produces("artifacts/tests");
        Target Report => _ => _.Consumes(Test);
        Target Nothing => _ => _;
        Target Summary => _ => _.Consumes(Nothing);

        public Workflow TwiceInvoked => new Workflow("w", "W").OnPush().Job(Test).Job(Test);
        public Workflow ConsumerAlone => new Workflow("w", "W").OnPush().Job(Report);
        public Workflow ConsumesNothing => new Workflow("w", "W").OnPush().Job(Nothing).Job(Summary);
        public Workflow Ordered => new Workflow("w", "W").OnPush().Job(Test).Job(Report);
        public Workflow OutOfOrder => new Workflow("w", "W").OnPush().Job(Compile, job => job.RunsWhenFailed(Test)).Job(Test);
    }

    [Fact]
    public void Declaration_mistakes_are_usage_errors_naming_the_workflow_and_the_targets()
    {
        var build = new Misdeclared();
        var graph = TargetGraph.Create(build);
        string Error(Workflow workflow) => Assert.Throws<UsageException>(() => JobPlanner.Plan(workflow, graph)).Message;

        Assert.Equal("workflow w: Test is invoked by job 'test' but job 'test' already runs it", Error(build.TwiceInvoked));
        Assert.Equal("workflow w: Report consumes Test, but no earlier job of its scope runs Test", Error(build.ConsumerAlone));
        Assert.Equal("workflow w: Summary consumes Nothing, which declares nothing it .Produces()", Error(build.ConsumesNothing));
        Assert.Equal("workflow w: job 'compile' runs when Test failed, but no earlier job runs Test", Error(build.OutOfOrder));

        var ordered = JobPlanner.Plan(build.Ordered, graph);
        Assert.Equal(["test"], Ids(ordered[1].Needs));
        Assert.Equal("artifacts", WorkflowGenerator.DownloadPath(["artifacts/tests", "artifacts/coverage"]));
        Assert.Equal("artifacts/tests", WorkflowGenerator.DownloadPath(["artifacts/tests"]));
        Assert.Equal("artifacts/images", WorkflowGenerator.DownloadPath(["artifacts/images/digests.json"]));
        Assert.Equal(".", WorkflowGenerator.DownloadPath(["a/x", "b/y"]));
    }

    private sealed class LaterPrerequisite : SlipwayBuild
    {
        Target Migrate => _ => _;
        Target Deploy => _ => _.DependsOn(Migrate);

        public Workflow Workflow => new Workflow("w", "W").OnPush()
            .Stage(new WorkflowStage("staging"), s => s.Job(Deploy).Job(Migrate));
    }

    [Fact]
    public void A_job_cannot_skip_a_prerequisite_that_a_later_job_would_run()
    {
        var build = new LaterPrerequisite();
        var error = Assert.Throws<UsageException>(() => JobPlanner.Plan(build.Workflow, TargetGraph.Create(build)));
        Assert.Equal("workflow w: job 'deploy-staging' needs Migrate, which a later job invokes: declare that job first", error.Message);
    }
}
