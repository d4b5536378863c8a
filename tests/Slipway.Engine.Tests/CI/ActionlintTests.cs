namespace Slipway.Engine.Tests.CI;

/// <summary>A fact that needs actionlint (docker/scripts/install.sh test) and node; it fails instead of skipping on CI.</summary>
public sealed class ActionlintFactAttribute : RealServerFactAttribute
{
    public ActionlintFactAttribute() =>
        Needs(File.Exists(RepositoryPaths.Actionlint) && ToolFactAttribute.OnPath("node"), "actionlint (.nuke/temp/node-tools) or node", RealServers.InstallTools);
}

public sealed class ActionlintTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "slipway-actionlint-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
    }

    [ActionlintFact]
    public void The_workflows_the_real_build_generates_pass_actionlint()
    {
        foreach (var (file, content) in RealBuild.Workflows.Files)
            Write($".github/workflows/{file}", content);

        var (exit, output) = Lint(folder);
        Assert.True(exit == 0, output);
        Assert.Contains($"{RealBuild.Workflows.Files.Count} workflow file(s)", output);
    }

    [ActionlintFact]
    public void The_committed_workflows_of_this_repository_pass_actionlint()
    {
        var workflows = Path.Combine(RepositoryPaths.Root, ".github", "workflows");
        Assert.True(File.Exists(Path.Combine(workflows, "ci.yml")) && File.Exists(Path.Combine(workflows, "deploy.yml")), "ci.yml and deploy.yml are committed");
        var (exit, output) = Lint(RepositoryPaths.Root);
        Assert.True(exit == 0, output);
    }

    /// <summary>The control: the linter in use does reject a broken workflow (an undefined need, an action input that does not exist).</summary>
    [ActionlintFact]
    public void Actionlint_rejects_a_broken_workflow()
    {
        Write(".github/workflows/broken.yml",
            "name: broken\n'on': push\njobs:\n  a:\n    needs: [nowhere]\n    runs-on: ubuntu-24.04\n    steps:\n" +
            "      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n          role-to-assume: x\n");
        var (exit, output) = Lint(folder);
        Assert.Equal(1, exit);
        Assert.Contains("nowhere", output);
        Assert.Contains("aws-region", output);
    }

    private void Write(string relativePath, string content)
    {
        var path = Path.Combine(folder, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private static (int Exit, string Output) Lint(string root)
    {
        var (exit, stdout, stderr) = NodeTools.Run(root, [RepositoryPaths.Actionlint, ".github/workflows/*.yml"], "actionlint");
        return (exit, stdout + stderr);
    }
}
