using System.Collections;

namespace Slipway.Engine.Tests;

/// <summary>Runs a build in-process against a temporary root with its own .nuke folder.</summary>
internal sealed class Harness : IDisposable
{
    public Harness()
    {
        Root = AbsolutePath.Create(Path.Combine(Path.GetTempPath(), "slipway-engine-" + Guid.NewGuid().ToString("N")));
        (Root / ".nuke").CreateDirectory();
        SlipwayBuild.RootDirectory = Root;
    }

    public AbsolutePath Root { get; }

    public Dictionary<string, string> Environment { get; } = new() { ["PATH"] = "/usr/bin:/bin" };

    public void WriteParameters(string json, string? environment = null) =>
        File.WriteAllText(Root / ".nuke" / (environment is null ? "parameters.json" : $"parameters.{environment}.json"), json);

    /// <summary>The clock the runner times targets with (the system's unless a test sets one).</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    public Result Run<T>(T build, string[] args, string[] defaults, CancellationToken cancellationToken = default)
        where T : SlipwayBuild
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = BuildRunner.Run(build, args, defaults, stdout, stderr, new Hashtable(Environment), Time, cancellationToken);
        return new Result(exit, stdout.ToString(), stderr.ToString());
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public IReadOnlyList<string> Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}

/// <summary>Engine tests share the static console log, so they run one at a time.</summary>
[CollectionDefinition("engine", DisableParallelization = true)]
public sealed class EngineCollection;
