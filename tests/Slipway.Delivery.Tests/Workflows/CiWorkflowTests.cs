using System.Xml.Linq;
using Slipway.Delivery.Tests.Workflows.Simulator;

namespace Slipway.Delivery.Tests.Workflows;

/// <summary>
/// The real build's generated ci.yml, run by the workflow simulator on commits of a copy of this repository: its test job
/// is green on the repository as it is and red on a commit that adds a failing test; the TRX it uploads says which.
/// Only the test job runs (as "Re-run job" would): the scan-images job installs Trivy from GitHub's releases, which no
/// runner here can download (this machine has no network and no Trivy).
/// </summary>
[Collection(WorkflowScenarios.Name)]
public sealed class CiWorkflowTests(WorkflowScenarios scenarios)
{
    [WorkflowRunnerFact]
    public async Task Ci_is_green_on_a_good_commit_and_red_on_a_commit_that_adds_a_failing_test()
    {
        var runners = await scenarios.RunnersAsync();
        var good = await runners.Repository.CommitAsync("a good commit");

        var green = await runners.GitHub.RunAsync(".github/workflows/ci.yml", new WorkflowTrigger("push", good), jobs: ["test"]);

        Assert.True(green.Conclusion == JobConclusion.Success, green.Logs);
        Assert.Contains("test", green.Artifacts.Names);
        Assert.Contains(Results(green), r => r.Outcome == "Passed" && r.Test.Contains("RedisCacheTests", StringComparison.Ordinal));
        Assert.DoesNotContain(Results(green), r => r.Outcome != "Passed");

        var bad = await runners.Repository.CommitAsync(new Dictionary<string, string>
        {
            ["tests/Slipway.Engine.Tests/SimulatedRegressionTests.cs"] = $$"""
                namespace Slipway.Engine.Tests;

                public sealed class {{RealRepositoryRunners.Regression}}Tests
                {
                    [Fact]
                    public void A_regression() => Assert.Equal(2, 1 + 2);
                }
                """,
        }, "a commit that adds a failing test");

        var red = await runners.GitHub.RunAsync(".github/workflows/ci.yml", new WorkflowTrigger("push", bad), jobs: ["test"]);

        Assert.Equal(JobConclusion.Failure, red.Conclusion);
        Assert.Equal(JobConclusion.Failure, red.Jobs["test"].Steps.Single(s => s.Step == ".ci/run Test").Outcome);
        Assert.Equal(JobConclusion.Success, red.Jobs["test"].Steps.Single(s => s.Step == "Upload test").Outcome);
        Assert.Contains(Results(red), r => r.Outcome == "Failed" && r.Test.Contains("A_regression", StringComparison.Ordinal));
    }

    private static List<(string Test, string Outcome)> Results(WorkflowRun run)
    {
        XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
        return [.. Directory.GetFiles(run.Artifacts.FolderOf("test"), "*.trx", SearchOption.AllDirectories)
            .SelectMany(f => XDocument.Load(f).Descendants(ns + "UnitTestResult"))
            .Select(r => ((string)r.Attribute("testName")!, (string)r.Attribute("outcome")!))];
    }
}
