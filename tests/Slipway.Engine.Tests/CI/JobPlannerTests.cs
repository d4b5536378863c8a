using Slipway.Engine.CI;

namespace Slipway.Engine.Tests.CI;

[Collection("engine")]
public sealed class JobPlannerTests : IDisposable
{
    private readonly Harness harness = new();

    public void Dispose() => harness.Dispose();

    /// <summary>
    /// The shapes the planner has to get right, each target recording that it ran: compile and test, images built,
    /// scanned and pushed once, then stages whose single job deploys, smoke-tests and rolls back, the second stage
    /// promoting what the first pushed.
    /// </summary>
    private sealed class Staged : SlipwayBuild
    {
        [Parameter("Where to deliver", Name = "environment")]
        public readonly string TargetEnvironment = "local";

        public List<string> Ran { get; } = [];

        Target Restore => _ => _.Executes(() => Ran.Add("Restore"));
        Target Compile => _ => _.DependsOn(Restore).Executes(() => Ran.Add("Compile"));
        Target Test => _ => _.DependsOn(Compile).Produces("artifacts/test-results").Executes(() => Ran.Add("Test"));
        Target BuildImages => _ => _.Executes(() => Ran.Add("BuildImages"));
        Target ScanImages => _ => _.DependsOn(BuildImages).Produces("artifacts/scan").Executes(() => Ran.Add("ScanImages"));
        Target PushImages => _ => _.DependsOn(ScanImages).Produces("artifacts/images").Executes(() => Ran.Add("PushImages"));
        Target Promote => _ => _.After(PushImages).Before(Deploy).Consumes(PushImages).Produces("artifacts/images").Executes(() => Ran.Add("Promote"));
        Target Deploy => _ => _.DependsOn(PushImages).Consumes(PushImages).Triggers(SmokeTest).Executes(() => Ran.Add("Deploy"));
        Target SmokeTest => _ => _.After(Deploy).Executes(() => Ran.Add("SmokeTest"));
        Target Rollback => _ => _.TriggeredBy(SmokeTest).AssuredAfterFailure().OnlyWhenDynamic(() => HasFailed(SmokeTest)).Executes(() => Ran.Add("Rollback"));

        public Workflow Ci => new Workflow("ci", "CI").OnPush().Job(Test).Job(ScanImages);

        public Workflow Delivery => new Workflow("deploy", "Deploy")
            .OnPush()
            .Job(Test)
            .Stage(new WorkflowStage("staging").WithBuildArguments("--environment", "staging"), s => s.Job(Deploy, j => j.WaitsFor(Test)))
            .Stage(new WorkflowStage("production").WithBuildArguments("--environment", "prod").Reuses(PushImages), s => s.Job([Promote, Deploy]));
    }

    private static IReadOnlyList<PlannedJob> Plan(Staged build, Workflow workflow) =>
        JobPlanner.Plan(workflow, TargetGraph.Create(build));

    private static string[] Names(IEnumerable<ExecutableTarget> targets) => [.. targets.Select(t => t.Name)];

    private static string[] Ids(IEnumerable<PlannedJob> jobs) => [.. jobs.Select(j => j.Id)];

    [Fact]
    public void CI_jobs_follow_the_graph_and_share_nothing_they_do_not_depend_on()
    {
        var build = new Staged();
        var jobs = Plan(build, build.Ci);

        Assert.Equal(["test", "scan-images"], Ids(jobs));
        Assert.Equal(["Restore", "Compile", "Test"], Names(jobs[0].Runs));
        Assert.Equal(["BuildImages", "ScanImages"], Names(jobs[1].Runs));
        Assert.Empty(jobs[1].Needs);
        Assert.Empty(jobs[1].Skips);
    }

    [Fact]
    public void A_stage_is_one_job_that_runs_what_its_targets_trigger_after_the_jobs_it_waits_for()
    {
        var build = new Staged();
        var jobs = Plan(build, build.Delivery).ToDictionary(j => j.Id);

        Assert.Equal(["test", "deploy-staging", "deploy-production"], jobs.Keys);
        Assert.Equal(["BuildImages", "ScanImages", "PushImages", "Deploy", "SmokeTest", "Rollback"], Names(jobs["deploy-staging"].Runs));
        Assert.Empty(jobs["deploy-staging"].Skips);
        Assert.Equal(["test"], Ids(jobs["deploy-staging"].Needs));
    }

    [Fact]
    public void A_stage_that_reuses_an_earlier_stages_images_skips_building_them_and_downloads_their_hand_off()
    {
        var build = new Staged();
        var jobs = Plan(build, build.Delivery).ToDictionary(j => j.Id);
        var production = jobs["deploy-production"];

        Assert.Equal(["Promote", "Deploy", "SmokeTest", "Rollback"], Names(production.Runs));
        Assert.Equal(["BuildImages", "ScanImages", "PushImages"], Names(production.Skips));
        Assert.Equal(["deploy-staging"], Ids(production.Needs));
        // Promote and Deploy both read the hand-off: it is downloaded once.
        var (producer, target) = Assert.Single(production.Downloads);
        Assert.Equal("deploy-staging", producer.Id);
        Assert.Equal("push-images-staging", producer.ArtifactName(target));
    }

    [Fact]
    public void Within_a_scope_no_target_runs_in_two_jobs_and_every_skip_is_run_by_a_job_it_needs()
    {
        var build = new Staged();
        foreach (var workflow in new[] { build.Ci, build.Delivery })
        {
            var jobs = Plan(build, workflow);
            foreach (var job in jobs)
            {
                var scope = jobs.Where(j => j.Stage is null || j.Stage == job.Stage).ToList();
                var runs = scope.SelectMany(j => j.Runs).ToList();
                Assert.Equal(runs.Count, runs.Distinct().Count());
                Assert.All(job.Skips, skipped => Assert.Contains(job.Ancestors, a => a.Runs.Contains(skipped)));
            }
        }
    }

    /// <summary>The run lines of the generated jobs, executed by the real engine one after another, run every target once.</summary>
    [Fact]
    public void Running_the_generated_commands_in_job_order_builds_once_and_promotes()
    {
        var generated = WorkflowGenerator.Write(new Staged().Delivery, TargetGraph.Create(new Staged()), BuildParameter.Discover(typeof(Staged)));
        var ran = new List<string>();
        foreach (var (id, text) in WorkflowText.Jobs(generated))
        {
            var build = new Staged();
            var result = harness.Run(build, WorkflowText.RunLine(text).Split(' ')[1..], ["Compile"]);
            Assert.True(result.ExitCode == 0, $"{id}: {result.Error}");
            ran.AddRange(build.Ran);
        }

        Assert.Equal(
            ["Restore", "Compile", "Test",
             "BuildImages", "ScanImages", "PushImages", "Deploy", "SmokeTest",
             "Promote", "Deploy", "SmokeTest"],
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
        public Workflow ReusesNothing => new Workflow("w", "W").OnPush().Stage(new WorkflowStage("prod").Reuses(Test), s => s.Job(Report));
        public Workflow WaitsForNothing => new Workflow("w", "W").OnPush().Job(Compile, job => job.WaitsFor(Test));
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
        Assert.Equal("workflow w: stage prod reuses Test, but no earlier stage's job runs it", Error(build.ReusesNothing));
        Assert.Equal("workflow w: job 'compile' waits for Test, but no earlier job runs Test", Error(build.WaitsForNothing));

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
